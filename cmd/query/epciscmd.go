package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/chipledger/chipledger/cli"
	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections"
)

// runEPCIS prints a unit's custody history as an EPCIS 2.0 document, for
// any EPCIS tool: its own events and, while it was inside a server or on a
// pallet, theirs, each with its ledger sequence and hash.
func runEPCIS(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "epcis", "ID", 1, args, nil, func(_ *config.Config, b backend, args []string) error {
		switch b := b.(type) {
		case *local:
			return b.r.View(func(p *projections.Projection, src projections.Source) error {
				u, err := httpapi.ResolveUnit(p, src, args[0])
				if err != nil {
					return err
				}
				doc, err := httpapi.ExportUnit(p, src, u)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout, "%s\n", doc)
				return err
			})
		case *remote:
			resp, err := b.open(ctx, "/api/v1/units/"+url.PathEscape(args[0])+"/epcis")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.Copy(env.Stdout, resp.Body)
			return err
		}
		return fmt.Errorf("epcis: unexpected backend %T", b)
	})
}
