// Package daemontest runs chipledger's daemons (`ingest run`, `query
// serve`) as child processes in tests: it builds a command once, starts it
// on a free port, reads the address it prints, and stops it with SIGTERM
// or kills it with SIGKILL.
package daemontest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	mu     sync.Mutex
	builds = map[string]string{}
)

// Build builds the main package in dir (once per test binary) and returns
// the executable's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := builds[abs]; ok {
		return p
	}
	tmp, err := os.MkdirTemp("", "daemontest")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, filepath.Base(abs))
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("daemontest: go build %s: %v\n%s", abs, err, out)
	}
	builds[abs] = bin
	return bin
}

// Daemon is a running child process.
type Daemon struct {
	Cmd  *exec.Cmd
	URL  string // http://host:port it printed
	done chan error
}

// Start runs bin with args (which should include --addr 127.0.0.1:0) and
// waits for its "listening on URL" line.
func Start(t testing.TB, bin string, args ...string) *Daemon {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{Cmd: cmd, done: make(chan error, 1)}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			d.URL = u
			break
		}
	}
	if d.URL == "" {
		t.Fatalf("daemontest: %s %s printed no address", filepath.Base(bin), strings.Join(args, " "))
	}
	go func() {
		for sc.Scan() {
		}
		d.done <- cmd.Wait()
	}()
	return d
}

// Kill sends SIGKILL and waits for the process to end.
func (d *Daemon) Kill(t testing.TB) {
	t.Helper()
	if err := d.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.done
}

// Stop sends SIGTERM and fails the test unless the process exits 0 within
// 30 s.
func (d *Daemon) Stop(t testing.TB) {
	t.Helper()
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("daemontest: exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal(fmt.Errorf("daemontest: no exit within 30 s of SIGTERM"))
	}
}
