package mailbox

import "github.com/emersion/go-sasl"

const cramMD5 = "CRAM-MD5"

// acceptAll is a SASL server that sends its challenges in turn and accepts
// whatever the client answers: enough for LOGIN and CRAM-MD5, whose
// credentials a capture mailbox has no reason to check.
type acceptAll struct {
	challenges []string
	step       int
}

var _ sasl.Server = (*acceptAll)(nil)

func (a *acceptAll) Next(response []byte) ([]byte, bool, error) {
	// A non-nil first response is an initial response (AUTH LOGIN dXNlcg==):
	// it answers the first challenge.
	if a.step == 0 && response != nil {
		a.step = 1
	}
	if a.step < len(a.challenges) {
		c := a.challenges[a.step]
		a.step++
		return []byte(c), false, nil
	}
	return nil, true, nil
}
