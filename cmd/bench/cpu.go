package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, which /proc reports CPU times in: 100 on every
// Linux Go supports, and not readable without cgo.
const clockTicks = 100

// procCPU is a process's user and system CPU time so far, in seconds; 0
// when it is gone.
func procCPU(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis (utime and stime are fields 14 and 15).
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTicks
}

// pgCPU follows the CPU time of PostgreSQL's processes during a run: the
// backends serving the scratch database, and the server's own processes
// (WAL writer, checkpointer, background writer, autovacuum), which serve
// every database on the server. Backends come and go with the pools'
// connections, so they are sampled while the run lasts: one that appears
// counts from zero, one that goes keeps its last sample.
type pgCPU struct {
	db   string
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	base   map[int]float64 // at the start, or 0 for a process born since
	last   map[int]float64
	kindOf map[int]string // "backends" or "server"
}

func startPGCPU(db string) *pgCPU {
	p := &pgCPU{db: db, stop: make(chan struct{}), done: make(chan struct{}),
		base: map[int]float64{}, last: map[int]float64{}, kindOf: map[int]string{}}
	p.sample(true)
	go func() {
		defer close(p.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.sample(false)
			}
		}
	}()
	return p
}

// sample reads every postgres process's CPU time.
func (p *pgCPU) sample(first bool) {
	ents, _ := os.ReadDir("/proc")
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		kind, ok := p.kindOf[pid]
		if !ok {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if strings.TrimSpace(string(comm)) != "postgres" {
				continue
			}
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			// A client backend calls itself "postgres: 15/main: user db host(port) state".
			switch c := string(cmd); {
			case strings.Contains(c, " "+p.db+" "):
				kind = "backends"
			case strings.Contains(c, "127.0.0.1(") || strings.Contains(c, "[local]") || strings.Contains(c, "::1("):
				kind = "" // another database's backend: not ours to count
			default:
				kind = "server"
			}
			p.kindOf[pid] = kind
			if kind != "" {
				p.base[pid] = 0
				if first {
					p.base[pid] = procCPU(pid)
				}
			}
		}
		if kind == "" {
			continue
		}
		if v := procCPU(pid); v > 0 {
			p.last[pid] = v
		}
	}
}

// end stops sampling and returns the CPU seconds used since the start by
// the scratch database's backends and by the server's own processes.
func (p *pgCPU) end() (backends, server float64) {
	p.sample(false)
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	for pid, last := range p.last {
		d := max(last-p.base[pid], 0)
		switch p.kindOf[pid] {
		case "backends":
			backends += d
		case "server":
			server += d
		}
	}
	return backends, server
}

// machineTicks is the whole machine's idle and total CPU time so far,
// in ticks, from /proc/stat: what none of the processes used.
func machineTicks() (idle, total float64) {
	data, _ := os.ReadFile("/proc/stat")
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		t, _ := strconv.ParseFloat(v, 64)
		if i == 3 || i == 4 { // idle, iowait
			idle += t
		}
		if i < 8 { // guest time is counted in user time already
			total += t
		}
	}
	return idle, total
}

// idleSince returns the share of the machine's CPU time left idle since
// the ticks i0, t0 were read.
func idleSince(i0, t0 float64) float64 {
	i1, t1 := machineTicks()
	if t1 <= t0 {
		return 0
	}
	return math.Round((i1-i0)/(t1-t0)*1000) / 1000
}
