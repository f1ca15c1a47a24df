// Package links signs the tokens carried by links in e-mails and on public
// pages (unsubscribe, confirm, preferences) and by return paths, so they can
// be checked without a database lookup and cannot be forged.
package links

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
	"time"
)

// ErrInvalid is returned for a token that is malformed, forged or expired.
var ErrInvalid = errors.New("invalid or expired link")

// Signer signs and verifies tokens with a secret.
type Signer struct {
	secret []byte
	// macs holds keyed HMACs to reuse: every message sent carries two or
	// three tokens, and keying a new HMAC costs as much as signing.
	macs sync.Pool
}

// NewSigner returns a Signer keyed by secret.
func NewSigner(secret string) *Signer {
	s := &Signer{secret: []byte(secret)}
	s.macs.New = func() any { return hmac.New(sha256.New, s.secret) }
	return s
}

var enc = base64.RawURLEncoding

// Token returns a token binding purpose and id, valid until expires (the
// zero time means it never expires).
func (s *Signer) Token(purpose string, id int64, expires time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(b[8:], uint64(expires.Unix()))
	}
	mac := s.mac(purpose, b[:])
	return enc.EncodeToString(append(b[:], mac[:12]...))
}

// Verify returns the id of a valid token for purpose.
func (s *Signer) Verify(purpose, token string, now time.Time) (int64, error) {
	raw, err := enc.DecodeString(token)
	if err != nil || len(raw) != 28 {
		return 0, ErrInvalid
	}
	mac := s.mac(purpose, raw[:16])
	if !hmac.Equal(mac[:12], raw[16:]) {
		return 0, ErrInvalid
	}
	if exp := int64(binary.BigEndian.Uint64(raw[8:16])); exp != 0 && now.Unix() > exp {
		return 0, ErrInvalid
	}
	return int64(binary.BigEndian.Uint64(raw[:8])), nil
}

func (s *Signer) mac(purpose string, b []byte) []byte {
	h := s.macs.Get().(hash.Hash)
	defer s.macs.Put(h)
	h.Reset()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(make([]byte, 0, sha256.Size))
}
