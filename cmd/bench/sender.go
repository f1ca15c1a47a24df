package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/communique/communique/postgres"
)

// senderEnv, when set, makes this program the ceiling's sender: a
// process of its own, as the dispatcher is, that blasts the messages at
// the sink (see ceilingProcess). It holds a senderSpec as JSON.
const senderEnv = "COMMUNIQUE_BENCH_SENDER"

type senderSpec struct {
	Addr    string `json:"addr"`
	DSN     string `json:"dsn"`
	Release int64  `json:"release"`
	N       int    `json:"n"`
	Conc    int    `json:"conc"`
	Window  int    `json:"window"`
}

// runSender renders the release as prepareCeiling does, says "ready",
// waits for a line on standard input, then sends.
func runSender(spec string) error {
	var s senderSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return fmt.Errorf("%s: %w", senderEnv, err)
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, s.DSN)
	if err != nil {
		return err
	}
	m, err := prepareCeiling(ctx, db, s.Release)
	db.Close()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fmt.Errorf("wait for the start: %w", err)
	}
	return blast(ctx, s.Addr, m, s.N, s.Conc, s.Window, false)
}

// ceilingProcess runs the ceiling with the sender in a process of its
// own. The in-process ceiling's sender shares a Go runtime with the sink,
// so neither side's goroutines wait for the other's process to be woken;
// the dispatcher, like any program sending to a mail server, pays for
// that wake-up on every reply. This is the "bare program": the
// same messages and connections as the in-process ceiling, across the
// same process boundary as the product. Its CPU is the sender's after
// it is ready, and the sink's.
func ceilingProcess(ctx context.Context, s *sink, dsn string, release int64, n, total, conc int) (ceilingRun, error) {
	self, err := os.Executable()
	if err != nil {
		return ceilingRun{}, err
	}
	spec, _ := json.Marshal(senderSpec{Addr: s.addr, DSN: dsn, Release: release, N: n, Conc: conc, Window: window})
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), senderEnv+"="+string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return ceilingRun{}, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return ceilingRun{}, err
	}
	if err := cmd.Start(); err != nil {
		return ceilingRun{}, err
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Wait()
		return ceilingRun{}, fmt.Errorf("ceiling sender: %q, %v: %s", line, err, stderr.Bytes())
	}
	sender0, self0 := procCPU(cmd.Process.Pid), procCPU(os.Getpid())
	idle0, ticks0 := machineTicks()
	s.start(time.Now())
	if _, err := io.WriteString(in, "go\n"); err != nil {
		return ceilingRun{}, err
	}
	if err := cmd.Wait(); err != nil {
		return ceilingRun{}, fmt.Errorf("ceiling sender: %v: %s", err, stderr.Bytes())
	}
	idle := idleSince(idle0, ticks0)
	rate, err := s.rate(n)
	if err != nil {
		return ceilingRun{}, fmt.Errorf("ceiling sender: %w", err)
	}
	st := cmd.ProcessState
	cpu := (st.UserTime() + st.SystemTime()).Seconds() - sender0 + procCPU(os.Getpid()) - self0
	// As measureCeiling: the rate rounded, the CPU per message of the
	// product's run.
	return ceilingRun{rate: math.Round(rate), cpu: cpu * float64(total) / float64(n), idle: idle}, nil
}
