package dispatcher

import "context"

// SetChunkHook makes f run in a worker before each chunk is composed; a
// test injects its faults there.
func SetChunkHook(d *Dispatcher, f func()) { d.chunkHook.Store(&f) }

// SetTickHook makes f run at each tick of the retry scheduler.
func SetTickHook(d *Dispatcher, f func()) { d.tickHook.Store(&f) }

// CloseFinished runs the sweep's closing of finished dispatches.
func CloseFinished(d *Dispatcher, ctx context.Context) error { return d.closeFinished(ctx) }

// MarkDoneIfFinished runs the check that closes a dispatch with nothing
// left to send, as the end of a batch does.
func MarkDoneIfFinished(d *Dispatcher, ctx context.Context, id int64) { d.markDoneIfFinished(ctx, id) }

// Renderings returns how many renderings the process has made.
func Renderings(d *Dispatcher) int64 { return d.renders.made.Load() }

// ClaimSQL is the statement a worker claims a chunk with: $1 the dispatch,
// $2 and $3 the range, $4 the lease in milliseconds.
var ClaimSQL = claimSQL(Chunk)
