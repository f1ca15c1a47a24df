package mailer

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"syscall"
	"time"
)

// isLost reports an error that is not an answer from the server: the
// connection closed, timed out or carried something unreadable.
func isLost(err error) bool {
	if err == nil {
		return false // before the declaration below, which allocates
	}
	var tpe *textproto.Error
	return !errors.As(err, &tpe)
}

func is421(err error) bool {
	if err == nil {
		return false
	}
	var tpe *textproto.Error
	return errors.As(err, &tpe) && tpe.Code == 421
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readFailed defers a message whose answer to what never came, saying
// why: recorded replies must tell an operator what happened.
func readFailed(err error, what string, timeout time.Duration, note string) Result {
	var reply string
	switch {
	case isClosed(err):
		reply = "connection closed by server before it answered " + what
	case isTimeout(err):
		reply = fmt.Sprintf("no answer to %s within %v", what, timeout)
	default:
		reply = fmt.Sprintf("connection lost waiting for the answer to %s: %v", what, err)
	}
	return Result{Status: Deferred, Reply: truncate(reply + note)}
}

// writeFailed defers a message the connection failed to carry.
func writeFailed(err error, during string, timeout time.Duration) Result {
	var reply string
	switch {
	case isClosed(err):
		reply = "connection closed by server " + during
	case isTimeout(err):
		reply = fmt.Sprintf("server stopped reading for %v %s", timeout, during)
	default:
		reply = fmt.Sprintf("connection lost %s: %v", during, err)
	}
	return Result{Status: Deferred, Reply: truncate(reply)}
}
