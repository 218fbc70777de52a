// Package config is the one table of flags and environment variables that
// every chipledger command shares. A command registers the flags it uses;
// each flag takes its default from its environment variable, so the same
// names work on the command line, in scripts and in docker compose.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Flag names and their environment variables. The README's configuration
// table lists the same.
const (
	EnvLedger      = "CHIPLEDGER_LEDGER"
	EnvState       = "CHIPLEDGER_STATE"
	EnvBrokers     = "KAFKA_BROKERS"
	EnvTopicPrefix = "CHIPLEDGER_TOPIC_PREFIX"
	EnvAddr        = "CHIPLEDGER_ADDR"
	EnvServer      = "CHIPLEDGER_SERVER"
	EnvIngest      = "CHIPLEDGER_INGEST"
	EnvToken       = "CHIPLEDGER_TOKEN"
	EnvFormat      = "CHIPLEDGER_FORMAT"
	EnvEncoding    = "CHIPLEDGER_ENCODING"
	EnvReference   = "CHIPLEDGER_REFERENCE"
	EnvLogLevel    = "CHIPLEDGER_LOG_LEVEL"
)

// Defaults.
const (
	DefaultBrokers = "127.0.0.1:19092"
	DefaultAddr    = "127.0.0.1:8080"
)

// Config holds the shared settings. Fields a command did not register keep
// their environment or default value.
type Config struct {
	Ledger      string
	State       string
	Brokers     string
	TopicPrefix string
	Addr        string
	Server      string
	Ingest      string
	Token       string
	Format      string
	Encoding    string
	Reference   string
	LogLevel    string
	jsonShort   bool
}

// Flag selects which shared flags a command registers.
type Flag int

// The shared flags.
const (
	Ledger Flag = 1 << iota
	State
	Brokers
	TopicPrefix
	Addr
	Server
	Ingest
	Token
	Format
	Encoding
	Reference
)

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// Register adds the selected flags to fs, with environment defaults, and
// always --log-level.
func (c *Config) Register(fs *flag.FlagSet, which Flag) {
	if which&Ledger != 0 {
		fs.StringVar(&c.Ledger, "ledger", env(EnvLedger, ""), "ledger directory ($"+EnvLedger+")")
	}
	if which&State != 0 {
		fs.StringVar(&c.State, "state", env(EnvState, ""), "a read replica's own store directory ($"+EnvState+")")
	}
	if which&Brokers != 0 {
		fs.StringVar(&c.Brokers, "brokers", env(EnvBrokers, DefaultBrokers), "Kafka bootstrap brokers, comma-separated ($"+EnvBrokers+")")
	}
	if which&TopicPrefix != 0 {
		fs.StringVar(&c.TopicPrefix, "topic-prefix", env(EnvTopicPrefix, ""), "prefix of every topic name ($"+EnvTopicPrefix+")")
	}
	if which&Addr != 0 {
		fs.StringVar(&c.Addr, "addr", env(EnvAddr, DefaultAddr), "the HTTP address this daemon serves: API, UI, /metrics, /head, admin ($"+EnvAddr+")")
	}
	if which&Server != 0 {
		fs.StringVar(&c.Server, "server", env(EnvServer, ""), "URL of a running `query serve` ($"+EnvServer+")")
	}
	if which&Ingest != 0 {
		fs.StringVar(&c.Ingest, "ingest", env(EnvIngest, ""), "URL of a running `ingest run` ($"+EnvIngest+")")
	}
	if which&Token != 0 {
		fs.StringVar(&c.Token, "token", env(EnvToken, ""), "bearer token for admin and investigator endpoints ($"+EnvToken+")")
	}
	if which&Format != 0 {
		fs.StringVar(&c.Format, "format", env(EnvFormat, "table"), "output format: table, json, csv or html ($"+EnvFormat+")")
		fs.BoolVar(&c.jsonShort, "json", false, "short for --format json")
	}
	if which&Encoding != 0 {
		fs.StringVar(&c.Encoding, "encoding", env(EnvEncoding, "native"), "how input events are encoded: native or epcis ($"+EnvEncoding+")")
	}
	if which&Reference != 0 {
		fs.StringVar(&c.Reference, "reference", env(EnvReference, ""), "directory of the policy and screening documents the ledger names by digest but does not carry ($"+EnvReference+")")
	}
	fs.StringVar(&c.LogLevel, "log-level", env(EnvLogLevel, "info"), "log level: debug, info, warn, error ($"+EnvLogLevel+")")
}

// Check validates the values after parsing and applies --json.
func (c *Config) Check() error {
	if c.jsonShort {
		c.Format = "json"
	}
	switch c.Format {
	case "", "table", "json", "csv", "html":
	default:
		return fmt.Errorf("config: --format %q: want table, json, csv or html", c.Format)
	}
	switch c.Encoding {
	case "", "native", "epcis":
	default:
		return fmt.Errorf("config: --encoding %q: want native or epcis", c.Encoding)
	}
	return nil
}

// BrokerList splits --brokers.
func (c *Config) BrokerList() []string {
	var out []string
	for _, b := range strings.Split(c.Brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// ErrNoLedger is returned by RequireLedger.
var ErrNoLedger = errors.New("config: --ledger DIR (or $" + EnvLedger + ") is required")

// RequireLedger fails when no ledger directory was given.
func (c *Config) RequireLedger() error {
	if c.Ledger == "" {
		return ErrNoLedger
	}
	return nil
}

// Parse parses args into fs, letting flags come before or after the
// positional arguments (`query chain chip:X --json` and `query chain --json
// chip:X` are the same); fs.Args() holds the positional arguments after it.
func Parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}
