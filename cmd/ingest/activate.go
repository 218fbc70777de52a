package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chipledger/chipledger/cli"
	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/screening"
)

// Defaults of `ingest activate`.
const (
	defaultActivatePublisher = "chipledger-operator"
	defaultScreeningName     = "us-csl"
)

// runActivate publishes a policy.activated.v1 or screening.activated.v1
// event for a policy bundle (--policy FILE) or a Consolidated Screening List
// CSV (--screening FILE), after loading the file with the loader the read
// side uses. The event names the document by events.Digest of the file's
// bytes and carries the bytes as its content when the whole event fits in
// events.MaxEventBytes. A screening list that does not fit is activated by
// digest alone: a replica then reads it from its --reference DIR. A policy
// bundle that does not fit is refused: the rules every replica applies must
// be in the ledger itself.
//
// With --dry-run the event's canonical JSON line goes to stdout (for `ingest
// import`) and the summary to stderr; otherwise the event is published to
// chip-events keyed by its primary id ("policy:NAME", "screening:NAME") and
// the summary goes to stdout.
func runActivate(ctx context.Context, env *cli.Env, args []string) error {
	var policyFile, screeningFile, effective, name, version, source, publisher string
	var dryRun bool
	cfg, fs, err := env.Parse("activate", "(--policy FILE | --screening FILE)", config.Brokers|config.TopicPrefix, 0, args, func(fs *flag.FlagSet) {
		fs.StringVar(&policyFile, "policy", "", "a policy bundle (JSON) to activate")
		fs.StringVar(&screeningFile, "screening", "", "a Consolidated Screening List CSV to activate")
		fs.StringVar(&effective, "effective", "", "the date it takes effect, YYYY-MM-DD (default today, UTC)")
		fs.StringVar(&name, "name", "", "document name (default: the bundle's name; "+defaultScreeningName+" for a screening list)")
		fs.StringVar(&version, "version", "", "document version (default: the bundle's version; the effective date for a screening list)")
		fs.StringVar(&source, "source", "", `where the document comes from, a URL or citation (default "file <basename>")`)
		fs.StringVar(&publisher, "publisher", defaultActivatePublisher, "party id of the publisher of the event")
		fs.BoolVar(&dryRun, "dry-run", false, "print the event's canonical JSON line to stdout instead of publishing it")
	})
	if err != nil {
		return err
	}
	if (policyFile == "") == (screeningFile == "") {
		fmt.Fprintln(env.Stderr, "activate: give exactly one of --policy FILE and --screening FILE")
		fs.Usage()
		return cli.ErrUsage
	}

	now := time.Now().UTC().Truncate(time.Millisecond)
	if effective == "" {
		effective = now.Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, effective); err != nil {
		return fmt.Errorf("--effective %q: want a date YYYY-MM-DD", effective)
	}
	file := policyFile
	if file == "" {
		file = screeningFile
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}

	// Load the file as the read side will, so that what is activated loads.
	if policyFile != "" {
		b, err := policy.LoadBundle(data)
		if err != nil {
			return err
		}
		name = cmp.Or(name, b.Name)
		version = cmp.Or(version, b.Version)
	} else {
		if _, err := screening.Load(bytes.NewReader(data)); err != nil {
			return err
		}
		name = cmp.Or(name, defaultScreeningName)
		version = cmp.Or(version, effective)
	}
	doc := events.Document{
		Name:      name,
		Version:   version,
		Digest:    events.Digest(data),
		Effective: events.Date(effective),
		Source:    cmp.Or(source, "file "+filepath.Base(file)),
		Content:   string(data),
	}

	ev := events.Event{
		ID:         events.NewID(),
		OccurredAt: now,
		RecordedAt: now,
		Publisher:  publisher,
	}
	build := func(doc events.Document) ([]byte, error) {
		if policyFile != "" {
			ev.Type, ev.Body = events.TypePolicyActivated, &events.PolicyActivated{Document: doc}
		} else {
			ev.Type, ev.Body = events.TypeScreeningActivated, &events.ScreeningActivated{Document: doc}
		}
		return events.Encode(ev)
	}
	line, err := build(doc)
	omitted := "" // why the content is not in the event
	if err != nil {
		withContent := err
		doc.Content = ""
		if line, err = build(doc); err != nil {
			return fmt.Errorf("%s: %w", file, err) // not about the content: a flag value
		}
		if policyFile != "" {
			return fmt.Errorf("%s: the bundle (%d bytes) does not fit in an event (%w): a policy bundle must travel in the ledger, "+
				"never by digest alone, because every replica must rebuild the policy in force from the ledger; make the bundle smaller",
				file, len(data), withContent)
		}
		omitted = withContent.Error()
	}
	// What is published is what the strict decoder accepts.
	back, err := events.Decode(line)
	if err != nil {
		return fmt.Errorf("the event does not decode: %w", err)
	}
	if !bytes.Equal(back.Canonical(), line) {
		return errors.New("the event does not round-trip through its canonical form")
	}

	out := env.Stdout
	dest := ""
	if dryRun {
		if _, err := fmt.Fprintf(env.Stdout, "%s\n", line); err != nil {
			return err
		}
		out, dest = env.Stderr, "dry run: not published"
	} else {
		topics, err := kafka.EnsureTopics(ctx, cfg.BrokerList(), cfg.TopicPrefix, kafka.EnsureOptions{})
		if err != nil {
			return err
		}
		p := kafka.NewProducer(cfg.BrokerList(), topics.Events, kafka.ProducerOptions{})
		err = p.Produce(ctx, kafka.Message{Key: []byte(back.Primary()), Value: line})
		if cerr := p.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		dest = "published to " + topics.Events
	}
	content := fmt.Sprintf("content included (%d bytes)", len(data))
	if omitted != "" {
		content = fmt.Sprintf("content omitted (%d bytes)", len(data))
	}
	fmt.Fprintf(out, "%s %s name=%s version=%s effective=%s digest=%s %s; %s\n",
		back.ID, back.Type, doc.Name, doc.Version, doc.Effective, doc.Digest, content, dest)
	if omitted != "" {
		fmt.Fprintf(out, "the event does not carry the document (%s): every replica must find %s by its digest %s under its --reference DIR (any file name; e.g. %s%s)\n",
			omitted, filepath.Base(file), doc.Digest, doc.Digest[len("sha256:"):], filepath.Ext(file))
	}
	return nil
}
