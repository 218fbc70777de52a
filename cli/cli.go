// Package cli is the plumbing the chipledger commands share: subcommand
// dispatch with the exit-code convention (0 success, 1 failure, 2 usage),
// parsing of the shared flag table (package config) with flags before or
// after positional arguments, the slog handler, and small output helpers.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/chipledger/chipledger/config"
)

// Env is what a subcommand reads and writes besides its flags.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	prog           string
}

// Command is one subcommand.
type Command struct {
	Name, Summary string
	Run           func(ctx context.Context, env *Env, args []string) error
}

// ErrUsage reports a usage error already printed; the exit code is 2.
var ErrUsage = errors.New("usage")

// ExitError makes a command exit with a chosen code.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(ctx context.Context, prog string, commands []Command, args []string, env Env) int {
	env.prog = prog
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr, prog, commands)
		return 2
	}
	for _, c := range commands {
		if c.Name != args[0] {
			continue
		}
		err := c.Run(ctx, &env, args[1:])
		var ee *ExitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, ErrUsage):
			return 2
		case errors.As(err, &ee):
			fmt.Fprintf(env.Stderr, "%s %s: %v\n", prog, c.Name, ee.Err)
			return ee.Code
		}
		fmt.Fprintf(env.Stderr, "%s %s: %v\n", prog, c.Name, err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "%s: unknown command %q\n", prog, args[0])
	usage(env.Stderr, prog, commands)
	return 2
}

func usage(w io.Writer, prog string, commands []Command) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags] [args]\n", prog)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "run `%s COMMAND -h` for the flags of a command\n", prog)
}

// Parse registers the selected shared flags (and extra ones), parses args
// with flags on either side of the positional arguments, and checks the
// values. want >= 0 requires exactly that many positional arguments.
func (env *Env) Parse(name, argsUsage string, which config.Flag, want int, args []string, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet(env.prog+" "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cfg.Register(fs, which)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: %s %s [flags] %s\n", env.prog, name, argsUsage)
		fs.PrintDefaults()
	}
	if err := config.Parse(fs, args); err != nil {
		return nil, nil, ErrUsage
	}
	if want >= 0 && fs.NArg() != want {
		fs.Usage()
		return nil, nil, ErrUsage
	}
	if err := cfg.Check(); err != nil {
		return nil, nil, err
	}
	return &cfg, fs, nil
}

// NewLogger builds the one slog handler of a process.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// PrintJSON writes v as indented JSON.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// OrDash shows an empty value as "-" in tables.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// DefaultMemoryLimit sets the Go runtime's soft memory limit to limit bytes
// unless GOMEMLIMIT is set: the garbage collector then works harder as the
// heap approaches it instead of letting it grow to twice the live data.
func DefaultMemoryLimit(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
