// Package logtest holds what tests use to read the log lines or output
// of the code under test while it still writes them.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that a writer (a logger, a process's output)
// and a test reading it may use at once.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
