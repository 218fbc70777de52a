// Command kafkaprobe checks that a Kafka cluster serves chipledger: it runs
// kafka.Probe (create a probe topic, produce one record, read it back) and
// exits 0 only after that round trip. scripts/kafka.sh uses it as the broker's
// readiness check.
//
// Usage:
//
//	go run ./kafka/cmd/kafkaprobe [-brokers host:port,...] [-timeout 30s] [-prefix P]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chipledger/chipledger/kafka"
)

func main() {
	def := os.Getenv("KAFKA_BROKERS")
	if def == "" {
		def = "127.0.0.1:19092"
	}
	brokers := flag.String("brokers", def, "comma-separated bootstrap brokers (default $KAFKA_BROKERS or 127.0.0.1:19092)")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	prefix := flag.String("prefix", "", "topic prefix (the probe topic is PREFIXchip-probe)")
	flag.Parse()

	var list []string
	for _, b := range strings.Split(*brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			list = append(list, b)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := kafka.Probe(ctx, list, *prefix)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("kafka: round trip ok via %s\n", strings.Join(list, ","))
}
