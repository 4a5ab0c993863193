package intake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/intake"
)

func TestAddURLsValidatesAsAReport(t *testing.T) {
	svc, store := newService(t)
	ctx := context.Background()
	r, err := svc.Submit(ctx, undox.Public, intake.Submission{Report: undox.Report{URLs: []string{"https://paste.example/1"}}})
	require.NoError(t, err)

	_, err = svc.AddURLs(ctx, undox.Public, r.CaseRef, []string{"https://paste.example/2", "not a url", "http://10.0.0.1/x"})
	require.Equal(t, undox.EINVALID, undox.ErrorCode(err))
	require.Contains(t, undox.ErrorFields(err), "urls[1]")
	_, err = svc.AddURLs(ctx, undox.Public, r.CaseRef, []string{"https://paste.example/2", "http://10.0.0.1/x"})
	require.Contains(t, undox.ErrorFields(err), "urls[1]", "a private network is refused")
	_, err = svc.AddURLs(ctx, undox.Public, r.CaseRef, nil)
	require.Contains(t, undox.ErrorFields(err), "urls")
	many := make([]string, intake.MaxURLsPerReport+1)
	for i := range many {
		many[i] = "https://many.example/" + strings.Repeat("x", i+1)
	}
	_, err = svc.AddURLs(ctx, undox.Public, r.CaseRef, many)
	require.Contains(t, undox.ErrorFields(err), "urls")
	c, err := store.Case(ctx, admin, r.CaseRef)
	require.NoError(t, err)
	require.Len(t, c.Items, 1, "nothing is added when any URL is wrong")

	n, err := svc.AddURLs(ctx, undox.Public, r.CaseRef, []string{"HTTPS://Paste.Example/2", "https://paste.example/2#top", "https://paste.example/1"})
	require.NoError(t, err)
	require.Equal(t, 1, n, "normalized: one new page")
	c, err = store.Case(ctx, admin, r.CaseRef)
	require.NoError(t, err)
	require.Equal(t, []string{"https://paste.example/1", "https://paste.example/2"}, []string{c.Items[0].URL, c.Items[1].URL})
}

func TestReceiptMessageCarriesOnlyTheLink(t *testing.T) {
	link := "https://hotline.example/status/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	for lang, subject := range map[string]string{"nl": "Uw persoonlijke link", "en": "Your personal link", "": "Uw persoonlijke link"} {
		msg, id, err := intake.ReceiptMessage("meldpunt@hotline.example", "victim@mail.example", lang, link, time.Now())
		require.NoError(t, err)
		text := string(msg)
		require.Contains(t, text, "Subject: "+subject+"\r\n")
		require.Contains(t, text, "Message-ID: "+id+"\r\n")
		require.True(t, strings.HasSuffix(id, "@hotline.example>"), id)
		require.Contains(t, text, "\r\n\r\n", "headers, then the body")
		require.Contains(t, text, "\r\n"+link+"\r\n")
		require.NotContains(t, text, "UDX-", "no case reference")
	}
	_, _, err := intake.ReceiptMessage("meldpunt@hotline.example", "not an address", "nl", link, time.Now())
	require.Error(t, err)
	_, _, err = intake.ReceiptMessage("meldpunt@hotline.example", "victim@mail.example", "nl", link+"\r\nBcc: x@y.example", time.Now())
	require.Error(t, err)
}
