package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"slices"
	"time"
)

// TLSInfo summarises a TLS session: what a court needs to see which
// certificate the server presented, and whether it was valid.
type TLSInfo struct {
	Version     string     `json:"version"`
	CipherSuite string     `json:"cipher_suite"`
	ServerName  string     `json:"server_name"` // the name the certificate was checked against
	ALPN        string     `json:"alpn,omitempty"`
	Verified    bool       `json:"verified"`
	VerifyError string     `json:"verify_error,omitempty"` // why the certificate is not valid, if it is not
	Chain       []CertInfo `json:"chain"`                  // as the server sent it, leaf first
}

// CertInfo summarises one certificate.
type CertInfo struct {
	Subject        string    `json:"subject"`
	Issuer         string    `json:"issuer"`
	SerialNumber   string    `json:"serial_number"`
	DNSNames       []string  `json:"dns_names,omitempty"`
	IPAddresses    []string  `json:"ip_addresses,omitempty"`
	EmailAddresses []string  `json:"email_addresses,omitempty"`
	URIs           []string  `json:"uris,omitempty"`
	NotBefore      time.Time `json:"not_before"`
	NotAfter       time.Time `json:"not_after"`
	SHA256         string    `json:"sha256"` // of the DER encoding
}

// clone returns a copy of i that shares no memory with it.
func (i *TLSInfo) clone() *TLSInfo {
	if i == nil {
		return nil
	}
	c := *i
	c.Chain = slices.Clone(i.Chain)
	for k, ci := range c.Chain {
		ci.DNSNames = slices.Clone(ci.DNSNames)
		ci.IPAddresses = slices.Clone(ci.IPAddresses)
		ci.EmailAddresses = slices.Clone(ci.EmailAddresses)
		ci.URIs = slices.Clone(ci.URIs)
		c.Chain[k] = ci
	}
	return &c
}

const maxChain = 10

// tlsHandshake runs a TLS client handshake on conn for serverName. It never
// fails for an invalid certificate: it verifies the chain itself and records
// the verdict, so that the evidence is kept whatever the certificate.
func tlsHandshake(ctx context.Context, conn net.Conn, serverName string, roots *x509.CertPool) (*tls.Conn, *TLSInfo, error) {
	var verifyErr error
	cfg := &tls.Config{
		ServerName:         serverName,
		NextProtos:         []string{"http/1.1"},
		MinVersion:         tls.VersionTLS10,
		InsecureSkipVerify: true, // verified below, and recorded rather than enforced
		VerifyConnection: func(cs tls.ConnectionState) error {
			verifyErr = verifyChain(cs.PeerCertificates, serverName, roots)
			return nil
		},
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, err
	}
	cs := tc.ConnectionState()
	info := &TLSInfo{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ServerName:  serverName,
		ALPN:        cs.NegotiatedProtocol,
		Verified:    verifyErr == nil,
	}
	if verifyErr != nil {
		info.VerifyError = verifyErr.Error()
	}
	for i, c := range cs.PeerCertificates {
		if i == maxChain {
			break
		}
		info.Chain = append(info.Chain, certInfo(c))
	}
	return tc, info, nil
}

func verifyChain(certs []*x509.Certificate, serverName string, roots *x509.CertPool) error {
	if len(certs) == 0 {
		return errors.New("the server presented no certificate")
	}
	opts := x509.VerifyOptions{DNSName: serverName, Roots: roots, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	return err
}

func certInfo(c *x509.Certificate) CertInfo {
	sum := sha256.Sum256(c.Raw)
	ci := CertInfo{
		Subject:        c.Subject.String(),
		Issuer:         c.Issuer.String(),
		SerialNumber:   c.SerialNumber.String(),
		DNSNames:       c.DNSNames,
		EmailAddresses: c.EmailAddresses,
		NotBefore:      c.NotBefore.UTC(),
		NotAfter:       c.NotAfter.UTC(),
		SHA256:         hex.EncodeToString(sum[:]),
	}
	for _, ip := range c.IPAddresses {
		ci.IPAddresses = append(ci.IPAddresses, ip.String())
	}
	for _, u := range c.URIs {
		ci.URIs = append(ci.URIs, u.String())
	}
	return ci
}
