package dispatcher

import "context"

// SetChunkHook makes f run in a worker before each chunk is composed; a
// test injects its faults there.
func SetChunkHook(d *Dispatcher, f func()) { d.chunkHook.Store(&f) }

// SetTickHook makes f run at each tick of the retry scheduler.
func SetTickHook(d *Dispatcher, f func()) { d.tickHook.Store(&f) }

// CloseFinished runs the sweep's closing of finished dispatches.
func CloseFinished(d *Dispatcher, ctx context.Context) error { return d.closeFinished(ctx) }
