package mailer_test

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// BenchmarkWindow measures a target's window: with BDAT, a connection
// keeps up to window messages on the wire before reading their answers,
// where with DATA it waits a round trip per message. One connection, in
// chunks of 125 as the dispatcher's workers claim them, into a go-smtp
// sink on loopback and through a proxy that holds each side's writes
// for 1 ms:
//
//	go test ./mailer -run '^$' -bench Window -benchtime 3000x
func BenchmarkWindow(b *testing.B) {
	host, port := startDiscard(b)
	local := net.JoinHostPort(host, strconv.Itoa(port))
	data := bytes.Repeat([]byte("Une ligne de texte du communiqué.\r\n"), 120)
	for _, to := range []struct{ name, addr string }{
		{"loopback", local},
		{"1ms-away", delayProxy(b, local, time.Millisecond)},
	} {
		for _, window := range []int{1, 4, 16, 64} {
			b.Run(fmt.Sprintf("%s/window-%d", to.name, window), func(b *testing.B) {
				sendRaw(b, to.addr, "&window="+strconv.Itoa(window), data, 125)
			})
		}
	}
}
