package dispatcher

// SetChunkHook makes f run in a worker before each chunk is composed; a
// test injects its faults there.
func SetChunkHook(d *Dispatcher, f func()) { d.chunkHook.Store(&f) }
