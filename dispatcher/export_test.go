package dispatcher

// SetChunkHook makes f run in a worker before each chunk is composed; a
// test injects its faults there.
func SetChunkHook(d *Dispatcher, f func()) { d.chunkHook.Store(&f) }

// SetTickHook makes f run at each tick of the retry scheduler.
func SetTickHook(d *Dispatcher, f func()) { d.tickHook.Store(&f) }
