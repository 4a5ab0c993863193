package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromium tells whether screenshots can be taken here; CI installs
// Chromium and sets UNDOX_TEST_CHROMIUM_REQUIRED=1, so that these tests
// never skip screenshots there.
func chromium(t *testing.T) bool {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if _, err := exec.LookPath(name); err == nil {
			return true
		}
	}
	if os.Getenv("UNDOX_TEST_CHROMIUM_REQUIRED") == "1" {
		t.Fatal("UNDOX_TEST_CHROMIUM_REQUIRED=1 but no Chromium is installed")
	}
	t.Log("no Chromium installed: screenshots not tested here")
	return false
}

func syntheticPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 60, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 60; x++ {
			if (x/6+y/6)%2 == 0 {
				img.Set(x, y, color.RGBA{30, 160, 60, 255})
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// TestCaptureEndToEnd: a parent reports a page about a minor; undox serve
// captures it on its own (page, headers, text, image, screenshot), staff
// see the evidence with the child's pictures blurred, and the exported
// bundle verifies offline, and fails to once it is altered.
func TestCaptureEndToEnd(t *testing.T) {
	photo := syntheticPNG(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/dox/child", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>Synthetic Child exposed</title></head><body style="background:#fff">
<h1>Synthetic Child</h1><p>School: Voorbeeldschool, class 2B</p><img src="/img/face.png" width="60" height="40">
<script>document.title = "changed by script"</script></body></html>`)
	})
	mux.HandleFunc("/img/face.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(photo)
	})
	site := httptest.NewServer(mux)
	defer site.Close()
	_, port, _ := net.SplitHostPort(site.Listener.Addr().String())
	testDNS().Set("doxsite.test", netip.MustParseAddr("127.0.0.1"))

	shots := chromium(t)
	screenshots := "off"
	if shots {
		screenshots = "on"
	}
	data := t.TempDir()
	in := startServe(t, data, "", "--allow-networks", "127.0.0.1/32", "--allow-any-port", "--screenshots", screenshots)

	pageURL := "http://doxsite.test:" + port + "/dox/child"
	code, rcpt := call(t, "POST", in.URL+"/api/v1/reports", "", map[string]any{"urls": []string{pageURL}, "category": "doxing", "is_minor": true})
	require.Equal(t, 201, code, rcpt)
	ref := rcpt["case"].(string)
	analyst := newToken(t, in, "analyst")
	auditor := newToken(t, in, "auditor")

	var item map[string]any
	require.Eventually(t, func() bool {
		_, c := call(t, "GET", in.URL+"/api/v1/cases/"+ref, analyst, nil)
		item = c["items"].([]any)[0].(map[string]any)
		return item["status"] == "captured"
	}, 60*time.Second, 100*time.Millisecond, "the item is captured by the jobs of undox serve")
	itemID := int64(item["id"].(float64))

	code, list := call(t, "GET", in.URL+"/api/v1/items/"+strconv.FormatInt(itemID, 10)+"/captures", analyst, nil)
	require.Equal(t, 200, code, list)
	caps := list["captures"].([]any)
	require.Len(t, caps, 1)
	capt := caps[0].(map[string]any)
	require.Equal(t, ref, capt["case"])
	require.Equal(t, float64(200), capt["http_status"])
	facts := capt["facts"].(map[string]any)
	require.Equal(t, "Synthetic Child exposed", facts["title"])
	kinds := map[string]string{}
	for _, f := range capt["files"].([]any) {
		f := f.(map[string]any)
		kinds[f["kind"].(string)] = f["sha256"].(string)
	}
	want := []string{"body", "headers", "text", "image"}
	if shots {
		want = append(want, "screenshot")
		require.Equal(t, true, facts["screenshot"].(map[string]any)["taken"], facts["screenshot"])
	} else {
		require.Equal(t, false, facts["screenshot"].(map[string]any)["taken"])
	}
	for _, k := range want {
		require.NotEmpty(t, kinds[k], "a %s file", k)
	}

	// The child's picture is blurred for everyone until an analyst
	// reveals it.
	get := func(token, path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", in.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	files := "/api/v1/captures/" + strconv.FormatInt(int64(capt["id"].(float64)), 10) + "/files/"
	resp, b := get(auditor, files+kinds["image"])
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "true", resp.Header.Get("X-Undox-Blurred"))
	require.NotEqual(t, photo, b)
	resp, b = get(analyst, files+kinds["image"]+"?reveal=1")
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, photo, b)
	if shots {
		resp, b = get(analyst, files+kinds["screenshot"]+"?reveal=1")
		require.Equal(t, 200, resp.StatusCode)
		img, err := png.Decode(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, 1280, img.Bounds().Dx())
	}
	resp, b = get(analyst, files+kinds["body"])
	require.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	require.Contains(t, string(b), "<script>")

	// The item is traced after its capture; on loopback the answer is
	// degraded (no RDAP server knows 127.0.0.1), not missing.
	var traces map[string]any
	require.Eventually(t, func() bool {
		code, traces = call(t, "GET", in.URL+"/api/v1/items/"+strconv.FormatInt(itemID, 10)+"/traces", analyst, nil)
		return code == 200 && len(traces["traces"].([]any)) > 0
	}, 60*time.Second, 100*time.Millisecond, "the item is traced")
	answer := traces["traces"].([]any)[0].(map[string]any)["answer"].(map[string]any)
	require.Equal(t, pageURL, answer["url"])
	require.Equal(t, "doxsite.test", answer["domain"])
	addrs := answer["addresses"].([]any)
	require.Equal(t, "127.0.0.1", addrs[0].(map[string]any)["ip"])
	require.NotEmpty(t, answer["errors"])

	in.Stop(t)

	// The bundle verifies offline; an altered one does not.
	bundle := filepath.Join(t.TempDir(), "case.zip")
	out, err := runCmd(t, nil, "export", "case", ref, "-o", bundle, "--data", data)
	require.NoError(t, err, out)
	require.Contains(t, out, "wrote "+bundle)
	key, err := os.ReadFile(filepath.Join(data, "audit-verifier.pub"))
	require.NoError(t, err, "the published verifier key")
	out, err = runCmd(t, nil, "verify", bundle, "--key", strings.TrimSpace(string(key)))
	require.NoError(t, err, out)
	require.Contains(t, out, bundle+": OK")
	require.Contains(t, out, "the published key given with --key")

	zr, err := zip.OpenReader(bundle)
	require.NoError(t, err)
	var names []string
	var report string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "report.html" {
			rc, _ := f.Open()
			rb, _ := io.ReadAll(rc)
			rc.Close()
			report = string(rb)
		}
	}
	zr.Close()
	require.Contains(t, names, "manifest.json")
	require.Contains(t, report, ref)
	require.NotContains(t, report, "<script>document.title", "the captured page is never live markup in the report")

	// Tamper with the captured image inside the bundle.
	tampered := filepath.Join(t.TempDir(), "tampered.zip")
	rewriteZip(t, bundle, tampered, func(name string, data []byte) []byte {
		if strings.Contains(name, "/image-") {
			data = append([]byte(nil), data...)
			data[len(data)/2] ^= 0xff
		}
		return data
	})
	out, err = runCmd(t, nil, "verify", tampered)
	require.Error(t, err)
	require.Contains(t, out, "FAILED")
	require.Contains(t, out, "/image-1.png")
}

// rewriteZip copies a zip, changing each file's content with edit.
func rewriteZip(t *testing.T, from, to string, edit func(string, []byte) []byte) {
	zr, err := zip.OpenReader(from)
	require.NoError(t, err)
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		w, err := zw.Create(f.Name)
		require.NoError(t, err)
		_, err = w.Write(edit(f.Name, b))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(to, buf.Bytes(), 0o600))
}

// TestContactsCommand: the contact book from the command line.
func TestContactsCommand(t *testing.T) {
	data := t.TempDir()
	out, err := runCmd(t, nil, "contacts", "add", "--data", data, "--scope", "asn", "--key", "AS64501", "--role", "host",
		"--name", "Synthetic Hosting", "--email", "abuse@hosting.example", "--language", "nl")
	require.NoError(t, err, out)
	require.Contains(t, out, "added contact 1: asn 64501 host → abuse@hosting.example")
	_, err = runCmd(t, nil, "contacts", "add", "--data", data, "--scope", "asn", "--key", "AS64501", "--role", "host",
		"--name", "Again", "--email", "x@hosting.example")
	require.Error(t, err, "one entry per scope, key and role")
	_, err = runCmd(t, nil, "contacts", "add", "--data", data, "--scope", "planet", "--key", "x", "--role", "host", "--name", "n")
	require.Error(t, err)
	out, err = runCmd(t, nil, "contacts", "list", "--data", data)
	require.NoError(t, err)
	require.Equal(t, "1\tasn\t64501\thost\tSynthetic Hosting\tabuse@hosting.example\n", out)
	out, err = runCmd(t, nil, "contacts", "remove", "1", "--data", data)
	require.NoError(t, err, out)
	out, err = runCmd(t, nil, "contacts", "list", "--data", data, "--json")
	require.NoError(t, err)
	require.JSONEq(t, `{"contacts":[]}`, out)
}
