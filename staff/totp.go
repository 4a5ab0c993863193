package staff

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP as authenticator apps speak it (RFC 6238): 30-second steps, six
// digits, HMAC-SHA1; a code of the step before or after is accepted too,
// for clocks that drift.
const (
	Period = 30 * time.Second
	Digits = 6
	Skew   = 1
)

// Issuer names undox in authenticator apps.
const Issuer = "undox"

var (
	// ErrBadCode is a code that matches no step near now.
	ErrBadCode = errors.New("staff: wrong code")
	// ErrReplay is a code that was used before.
	ErrReplay = errors.New("staff: code used before")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new random secret (160 bits, base32 without
// padding, as authenticator apps take it).
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return b32.EncodeToString(b), nil
}

// EnrolmentURI is the otpauth:// URI that authenticator apps read (as a QR
// code or typed): otpauth://totp/undox:ACCOUNT?secret=…&issuer=undox.
func EnrolmentURI(account, secret string) string {
	q := "secret=" + secret + "&issuer=" + url.QueryEscape(Issuer) +
		"&algorithm=SHA1&digits=6&period=30"
	return "otpauth://totp/" + url.PathEscape(Issuer) + ":" + url.PathEscape(account) + "?" + q
}

// Step is the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// CodeAt returns the code of secret for the step of t, as an authenticator
// app shows it.
func CodeAt(secret string, t time.Time) (string, error) {
	return codeOf(secret, Step(t))
}

func codeOf(secret string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// VerifyCode checks a code against secret at time now. It returns the step
// the code belongs to; a code of lastStep or earlier is ErrReplay (the
// caller records the step, so that each code works once).
func VerifyCode(secret, code string, now time.Time, lastStep int64) (int64, error) {
	code = strings.Join(strings.Fields(code), "") // "123 456" as some apps show it
	if len(code) != Digits {
		return 0, ErrBadCode
	}
	cur := Step(now)
	var matched int64 = -1
	replayed := false
	for s := cur - Skew; s <= cur+Skew; s++ {
		want, err := codeOf(secret, s)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if s <= lastStep {
			replayed = true
			continue
		}
		matched = s
	}
	switch {
	case matched >= 0:
		return matched, nil
	case replayed:
		return 0, ErrReplay
	}
	return 0, ErrBadCode
}
