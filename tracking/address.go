package tracking

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique/links"
)

const (
	bouncePrefix      = "bounce+"
	unsubscribePrefix = "unsubscribe+"
)

// TargetKind says what one of our addresses stands for.
type TargetKind int

// What an address on the bounce domain can name.
const (
	TargetDelivery TargetKind = iota + 1 // bounce+ID-TOKEN: a release's delivery
	TargetMessage                        // bounce+mID-TOKEN: a single message
	TargetContact                        // unsubscribe+TOKEN: a contact's List-Unsubscribe mailto
)

// Target is what an address on the bounce domain names, its token checked.
type Target struct {
	Kind TargetKind
	ID   int64
}

// DeliveryReturnPath is the envelope sender of delivery id, on domain:
// the address ParseAddress reads back as TargetDelivery, so that a
// bounce finds its delivery.
func DeliveryReturnPath(id int64, domain string, signer *links.Signer) string {
	return fmt.Sprintf("bounce+%d-%s@%s", id, signer.Token("bounce", id, time.Time{}), domain)
}

// MessageReturnPath is the envelope sender of single message id. The
// "m" before the id keeps it apart from a delivery's, whose ids share the
// range; the token is signed for messages only, so neither can pass for
// the other.
func MessageReturnPath(id int64, domain string, signer *links.Signer) string {
	return fmt.Sprintf("bounce+m%d-%s@%s", id, signer.Token("bounce-message", id, time.Time{}), domain)
}

// ErrNotOurs is returned for an address that is not one of ours, or whose
// token does not check out.
var ErrNotOurs = errors.New("no such address here")

// ParseAddress checks that addr is one of the addresses the dispatcher
// writes on domain (the per-delivery and per-message return paths, the
// List-Unsubscribe mailto) with a token signer signed, and says what it
// names. Everything else is ErrNotOurs.
func ParseAddress(addr, domain string, signer *links.Signer) (Target, error) {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || !strings.EqualFold(addr[at+1:], domain) {
		return Target{}, ErrNotOurs
	}
	local := addr[:at]
	lower := strings.ToLower(local)
	switch {
	case strings.HasPrefix(lower, unsubscribePrefix):
		id, err := signer.Verify("unsubscribe", local[len(unsubscribePrefix):], time.Now())
		if err != nil {
			return Target{}, ErrNotOurs
		}
		return Target{Kind: TargetContact, ID: id}, nil
	case strings.HasPrefix(lower, bouncePrefix):
		rest := local[len(bouncePrefix):]
		// Tokens may hold '-', ids never do: the first one separates them.
		dash := strings.IndexByte(rest, '-')
		if dash <= 0 {
			return Target{}, ErrNotOurs
		}
		idText, token := rest[:dash], rest[dash+1:]
		kind, purpose := TargetDelivery, "bounce"
		if idText[0] == 'm' || idText[0] == 'M' {
			kind, purpose, idText = TargetMessage, "bounce-message", idText[1:]
		}
		want, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || want <= 0 {
			return Target{}, ErrNotOurs
		}
		id, err := signer.Verify(purpose, token, time.Now())
		if err != nil || id != want {
			return Target{}, ErrNotOurs
		}
		return Target{Kind: kind, ID: id}, nil
	}
	return Target{}, ErrNotOurs
}
