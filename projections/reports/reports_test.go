package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// licenceUse is an independent count of licence use: every chip's custody
// chain, each cross-border shipment citing a licence by the time.
type licenceShipment struct {
	event string
	at    time.Time
	chips int
}

func licenceUses(t *testing.T, in Input, by time.Time) map[string][]licenceShipment {
	t.Helper()
	ctl := policy.DefaultControls()
	perEvent := map[string]map[string]*licenceShipment{}
	c := projections.CachedSource(in.Source, 1<<16)
	for _, u := range in.Projection.Units() {
		if u.Kind() != events.KindChip {
			continue
		}
		recs, err := in.Projection.History(c, u)
		require.NoError(t, err)
		for _, r := range recs {
			b, ok := r.Event.Body.(*events.Shipped)
			if !ok || b.Licence == "" || r.OccurredAt.After(by) || ctl.Country(b.From.Country, r.OccurredAt) == ctl.Country(b.To.Country, r.OccurredAt) {
				continue
			}
			if perEvent[b.Licence] == nil {
				perEvent[b.Licence] = map[string]*licenceShipment{}
			}
			s := perEvent[b.Licence][r.EventID]
			if s == nil {
				s = &licenceShipment{event: r.EventID, at: r.OccurredAt}
				perEvent[b.Licence][r.EventID] = s
			}
			s.chips++
		}
	}
	out := map[string][]licenceShipment{}
	for l, m := range perEvent {
		for _, s := range m {
			out[l] = append(out[l], *s)
		}
		slices.SortFunc(out[l], func(a, b licenceShipment) int { return a.at.Compare(b.at) })
	}
	return out
}

func sumChips(ss []licenceShipment) int {
	n := 0
	for _, s := range ss {
		n += s.chips
	}
	return n
}

func TestExporterReport(t *testing.T) {
	w := theWorld
	w.view(t, func(in Input) {
		rep, err := Exporter(in, "P-DELL", Period{})
		require.NoError(t, err)
		assert.Equal(t, "Dell Technologies Inc.", rep.Party.Name)
		require.NotEmpty(t, rep.Documents)

		// Totals are the sums of the rows and of the documents.
		for _, tot := range rep.Totals {
			var rows, docs ExportRow
			for _, r := range rep.Rows {
				if r.Kind == tot.Kind {
					rows.Documents, rows.Units, rows.Chips, rows.TPP, rows.H100 = rows.Documents+r.Documents, rows.Units+r.Units, rows.Chips+r.Chips, rows.TPP+r.TPP, rows.H100+r.H100
				}
			}
			for _, d := range rep.Documents {
				if d.Kind == tot.Kind {
					docs.Documents, docs.Units, docs.Chips, docs.TPP, docs.H100 = docs.Documents+1, docs.Units+len(d.Units), docs.Chips+d.Chips, docs.TPP+d.TPP, docs.H100+d.H100
				}
			}
			for _, x := range []ExportRow{rows, docs} {
				assert.Equal(t, tot.Documents, x.Documents, tot.Kind)
				assert.Equal(t, tot.Units, x.Units, tot.Kind)
				assert.Equal(t, tot.Chips, x.Chips, tot.Kind)
				assert.InDelta(t, tot.TPP, x.TPP, 1e-6*tot.TPP, tot.Kind)
				assert.InDelta(t, tot.H100, x.H100, 1e-6*tot.H100, tot.Kind)
			}
			assert.Positive(t, tot.Chips, tot.Kind)
		}
		kinds := map[string]bool{}
		for _, d := range rep.Documents {
			kinds[d.Kind] = true
			assert.Positive(t, d.Chips, "document %s carries chips", d.EventID)
			assert.InDelta(t, d.TPP/policy.H100TPP, d.H100, 1e-6*d.TPP)
		}
		assert.True(t, kinds[DocShipment] && kinds[DocDeclaration], "shipments and declarations")

		// r02: Dell's servers to Saudi Arabia as NLR, no licence: every
		// unit of the scenario was exported by Dell to SA under NLR, and
		// every open R2 alert on them is listed.
		reachedSA := map[events.UnitID]bool{}
		for _, d := range rep.Documents {
			if d.Kind == DocShipment && d.Destination == "SA" && d.Authorisation == "NLR" {
				for _, u := range d.Reached {
					reachedSA[u] = true
				}
			}
		}
		r02 := w.scenario(t, "r02-no-licence")
		for _, k := range []string{events.KindChip, events.KindSys} {
			us := subjectUnits(r02, k)
			require.NotEmpty(t, us, k)
			for _, u := range us {
				assert.True(t, reachedSA[u], "%s exported by P-DELL to SA under NLR", u)
			}
		}
		r2 := 0
		for _, a := range in.Alerts {
			if a.Rule == "R2" && a.State == alerts.StateOpen && slices.Contains(subjectUnits(r02, events.UnitID(a.Subject).Kind()), events.UnitID(a.Subject)) {
				r2++
				assert.Contains(t, rep.Alerts.IDs, a.ID)
			}
		}
		assert.Positive(t, r2)
		assert.GreaterOrEqual(t, rep.Alerts.ByRule["R2"], r2)
		assert.Len(t, rep.Alerts.IDs, rep.Alerts.Open)

		// Licence use equals the chips of the shipments citing it.
		uses := licenceUses(t, in, in.Projection.Now())
		require.NotEmpty(t, rep.Licences)
		over := 0
		for _, l := range rep.Licences {
			assert.Equal(t, sumChips(uses[l.Licence]), l.Used, "licence %s", l.Licence)
			assert.Equal(t, len(uses[l.Licence]), l.Shipments, "licence %s", l.Licence)
			assert.Equal(t, l.Quantity-int64(l.Used), l.Remaining)
			if l.Over {
				over++
				assert.Greater(t, int64(l.Used), l.Quantity)
			}
		}
		assert.Positive(t, over, "r21: a Dell licence used beyond its quantity")
		assert.Positive(t, rep.Alerts.ByRule["R21"], "and its R21 alerts")

		// As of just before the second shipment under that licence: within
		// its quantity.
		var l1 LicenceUse
		for _, l := range rep.Licences {
			if l.Over {
				l1 = l
			}
		}
		ships := uses[l1.Licence]
		require.Greater(t, len(ships), 1)
		in2 := in
		in2.AsOf = ships[1].at.Add(-time.Second)
		early, err := Exporter(in2, "P-DELL", Period{})
		require.NoError(t, err)
		i := slices.IndexFunc(early.Licences, func(l LicenceUse) bool { return l.Licence == l1.Licence })
		require.GreaterOrEqual(t, i, 0)
		assert.Equal(t, ships[0].chips, early.Licences[i].Used)
		assert.False(t, early.Licences[i].Over)
		assert.True(t, early.Basis.AsOfGiven)
		for _, d := range early.Documents {
			assert.False(t, d.OccurredAt.After(in2.AsOf), "as of: %s", d.EventID)
		}
		assert.Less(t, len(early.Documents), len(rep.Documents))

		// A period.
		p := Period{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
		h1, err := Exporter(in, "P-DELL", p)
		require.NoError(t, err)
		require.NotEmpty(t, h1.Documents)
		assert.Less(t, len(h1.Documents), len(rep.Documents))
		for _, d := range h1.Documents {
			assert.True(t, !d.OccurredAt.Before(p.From) && d.OccurredAt.Before(p.To), d.OccurredAt)
		}
	})
}

func TestExporterRevokedLicence(t *testing.T) {
	theWorld.view(t, func(in Input) {
		rep, err := Exporter(in, "P-SUPERMICRO", Period{})
		require.NoError(t, err)
		i := slices.IndexFunc(rep.Licences, func(l LicenceUse) bool { return l.Revoked })
		require.GreaterOrEqual(t, i, 0, "r21: a Supermicro licence was revoked")
		rev := rep.Licences[i]
		assert.False(t, rev.Valid)
		assert.NotEmpty(t, rev.Reason)
		in.AsOf = rev.RevokedAt.Add(-time.Hour)
		before, err := Exporter(in, "P-SUPERMICRO", Period{})
		require.NoError(t, err)
		j := slices.IndexFunc(before.Licences, func(l LicenceUse) bool { return l.Licence == rev.Licence })
		require.GreaterOrEqual(t, j, 0)
		assert.False(t, before.Licences[j].Revoked, "not yet revoked as of before its revocation")
		assert.True(t, before.Licences[j].Valid)
	})
}

func TestCountryReportCaps(t *testing.T) {
	w := theWorld
	w.view(t, func(in Input) {
		var r20 []alerts.Alert
		for _, a := range in.Alerts {
			if a.Rule == "R20" && a.State == alerts.StateOpen {
				r20 = append(r20, a)
			}
		}
		require.NotEmpty(t, r20)
		parties := 0
		for _, a := range r20 {
			cc := a.Subject
			if a.SubjectKind == alerts.KindParty {
				parties++
				pa, ok := in.Projection.Party(a.Subject)
				require.True(t, ok)
				cc = pa.Country
			}
			rep, err := Country(in, cc, Period{})
			require.NoError(t, err)
			found := false
			switch a.SubjectKind {
			case alerts.KindCountry:
				for _, y := range rep.Caps.Years {
					found = found || (y.Above && slices.Contains(y.Alerts, a.ID))
				}
			case alerts.KindParty:
				for _, c := range rep.Caps.Consignees {
					if c.Party == a.Subject && c.Above {
						found = found || slices.Contains(c.Alerts, a.ID)
						assert.Greater(t, c.H100, c.Limit)
					}
				}
			}
			assert.True(t, found, "the %s report lists R20 alert %s above its cap", cc, a.ID)
		}
		assert.Positive(t, parties, "r20: a consignee above the per-customer figure")

		rep, err := Country(in, "in", Period{})
		require.NoError(t, err)
		assert.Equal(t, "IN", rep.Country)
		assert.Equal(t, 2, rep.Caps.Tier)
		assert.True(t, rep.Caps.Capped)
		assert.False(t, rep.Caps.Enforced)
		assert.Contains(t, rep.Caps.Note, "Information only")
		for _, c := range rep.Caps.Consignees {
			// Every consignee above the figure has its R20 alert: the
			// report and the detector count alike.
			assert.Equal(t, c.Above, len(c.Alerts) > 0, c.Party)
		}
		var sum FlowRow
		for _, r := range rep.Inflows {
			sum.Shipments, sum.Units, sum.Chips, sum.TPP = sum.Shipments+r.Shipments, sum.Units+r.Units, sum.Chips+r.Chips, sum.TPP+r.TPP
		}
		assert.Equal(t, rep.InflowTotal.Shipments, sum.Shipments)
		assert.Equal(t, rep.InflowTotal.Chips, sum.Chips)
		assert.Equal(t, rep.InflowTotal.Units, sum.Units)
		assert.InDelta(t, rep.InflowTotal.TPP, sum.TPP, 1e-6*sum.TPP)
		assert.Positive(t, rep.InflowTotal.Chips)
		h, err := in.Projection.Holdings(in.Source, projections.ByCountry, "IN")
		require.NoError(t, err)
		assert.Equal(t, h.Chips, rep.Installed.Chips)
		assert.Equal(t, h.Installed, rep.Installed.Installed)
		assert.InDelta(t, h.TPP, rep.Installed.TPP, 1e-6*h.TPP)

		// A tier-1 country has no cap; the US exports.
		us, err := Country(in, "US", Period{})
		require.NoError(t, err)
		assert.Equal(t, 1, us.Caps.Tier)
		assert.False(t, us.Caps.Capped)
		assert.Positive(t, us.OutflowTotal.Chips)
		assert.Positive(t, us.InflowTotal.Chips, "chips come from Taiwan")
		// Hong Kong is China for the EAR.
		hk, err := Country(in, "HK", Period{})
		require.NoError(t, err)
		assert.Equal(t, "CN", hk.Country)
		assert.True(t, hk.Embargoed)

		_, err = Country(in, "China", Period{})
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

func TestSiteReport(t *testing.T) {
	w := theWorld
	sc := w.scenario(t, "r12-capacity")
	site := ""
	for _, s := range sc.Subjects {
		if s.Kind == alerts.KindSite {
			site = s.ID
		}
	}
	require.NotEmpty(t, site)
	w.view(t, func(in Input) {
		rep, err := Site(in, site)
		require.NoError(t, err)
		require.NotNil(t, rep.Site.DeclaredCapacity)
		assert.Greater(t, int64(rep.Received), *rep.Site.DeclaredCapacity, "r12: received more than its capacity")
		assert.True(t, rep.OverCapacity)
		require.NotEmpty(t, rep.R12)
		assert.Equal(t, "R12", rep.R12[0].Rule)
		assert.Equal(t, rep.Holdings.Received, rep.Received, "the chains agree with the projection's counters")
		assert.Equal(t, rep.Holdings.Installed, rep.Installed)
		assert.Positive(t, rep.Attested, "installed servers are attested weekly")
		assert.LessOrEqual(t, rep.Attested, rep.Received)
		n := 0
		for _, m := range rep.ByModel {
			n += m.Received
		}
		assert.Equal(t, rep.Received, n)

		// Another site with fewer installs than receipts.
		mega := ""
		for _, s := range w.scenario(t, "megaspeed").Subjects {
			if s.Kind == alerts.KindSite {
				mega = s.ID
			}
		}
		ms, err := Site(in, mega)
		require.NoError(t, err)
		assert.Less(t, ms.Installed, ms.Received)
		assert.Equal(t, ms.Holdings.Received, ms.Received)
		assert.Equal(t, ms.Holdings.Installed, ms.Installed)

		// As of before its first receipt: nothing yet.
		in.AsOf = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
		early, err := Site(in, site)
		require.NoError(t, err)
		assert.Zero(t, early.Received)
		assert.Zero(t, early.Installed)

		_, err = Site(in, "S-NOWHERE")
		assert.ErrorIs(t, err, projections.ErrNotFound)
	})
}

// tampered returns a ledger whose entry seq has one byte changed.
type tampered struct {
	Ledger
	seq uint64
}

func (l tampered) Entry(seq uint64) (ledger.Entry, error) {
	e, err := l.Ledger.Entry(seq)
	if err != nil || seq != l.seq {
		return e, err
	}
	e.Raw = bytes.Clone(e.Raw)
	e.Raw[len(e.Raw)-1] ^= 0x01 // a bit of the previous hash it names
	return e, nil
}

func TestDossier(t *testing.T) {
	w := theWorld
	alx := subjectUnits(w.scenario(t, "alx-solutions"), events.KindChip)
	require.NotEmpty(t, alx)
	w.view(t, func(in Input) {
		rep, err := Dossier(in, strings.TrimPrefix(string(alx[0]), "chip:"), func() (ledger.Head, error) { return w.r.Verify(t.Context()) })
		require.NoError(t, err)
		assert.Equal(t, alx[0], rep.Unit.Unit, "a bare serial is a chip")
		require.NotEmpty(t, rep.Chain)
		require.NotEmpty(t, rep.Alerts)
		v := rep.Verification
		assert.True(t, v.OK)
		assert.Zero(t, v.Failed)
		assert.Equal(t, len(rep.Entries), v.Entries)
		require.NotNil(t, v.Walk)
		assert.True(t, v.Walk.OK, v.Walk.Error)
		for _, c := range v.Checks {
			assert.True(t, c.OK, "entry %d: %v", c.Seq, c.Problems)
		}
		bySeq := map[uint64]EntryView{}
		for _, e := range rep.Entries {
			bySeq[e.Seq] = e
			assert.Equal(t, ledger.HashEntry(e.Raw).String(), e.Hash)
		}
		for _, s := range rep.Chain {
			assert.Equal(t, s.Hash, bySeq[s.Seq].Hash, "step %s", s.EventID)
			assert.Equal(t, s.EventID, bySeq[s.Seq].EventID)
		}
		for _, a := range rep.Alerts {
			assert.Equal(t, string(alx[0]), a.Subject)
			for _, e := range a.Evidence {
				assert.Contains(t, bySeq, e.Seq)
			}
		}

		// Tamper with one entry in the middle of the chain: it fails, and
		// so does the next one if it is cited (it names the true hash).
		bad := rep.Chain[len(rep.Chain)/2].Seq
		tin := in
		tin.Ledger = tampered{in.Ledger, bad}
		trep, err := Dossier(tin, string(alx[0]), nil)
		require.NoError(t, err)
		tv := trep.Verification
		assert.False(t, tv.OK)
		assert.Positive(t, tv.Failed)
		for _, c := range tv.Checks {
			switch c.Seq {
			case bad:
				assert.False(t, c.OK)
				assert.False(t, c.HashMatches)
				assert.NotEmpty(t, c.Problems)
			case bad + 1:
				assert.False(t, c.LinksBack)
			case bad - 1:
				assert.False(t, c.LinkedForward)
			default:
				assert.True(t, c.OK, "entry %d is untouched", c.Seq)
			}
		}
		assert.Contains(t, trep.Title(), "FAILED")

		// As of an earlier time: the chain up to then.
		in.AsOf = rep.Chain[len(rep.Chain)/2].OccurredAt
		early, err := Dossier(in, string(alx[0]), nil)
		require.NoError(t, err)
		assert.Less(t, len(early.Chain), len(rep.Chain))
		last := early.Chain[len(early.Chain)-1]
		assert.False(t, last.OccurredAt.After(in.AsOf))
		assert.Equal(t, last.Status, early.Unit.Status)
		assert.Equal(t, last.Holder, early.Unit.Holder)

		_, err = Dossier(in, "chip:NOPE-0", nil)
		assert.ErrorIs(t, err, projections.ErrNotFound)
		_, err = Dossier(in, "bogus:x", nil)
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

func TestUnknownAndInvalid(t *testing.T) {
	theWorld.view(t, func(in Input) {
		_, err := Exporter(in, "P-NOBODY", Period{})
		assert.ErrorIs(t, err, projections.ErrNotFound)
		from := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
		_, err = Exporter(in, "P-DELL", Period{From: from, To: from.Add(-time.Hour)})
		assert.ErrorIs(t, err, ErrInvalid)
		in.Index = NewIndex() // behind the projection
		_, err = Exporter(in, "P-DELL", Period{})
		assert.Error(t, err)
		assert.False(t, errors.Is(err, ErrInvalid))
	})
}

// TestRender renders every report in every format: JSON round-trips, CSV
// parses with encoding/csv into sections of consistent width, HTML is
// well-formed (it parses as XML) and standalone, and the same input
// renders the same bytes.
func TestRender(t *testing.T) {
	w := theWorld
	w.view(t, func(in Input) {
		exp, err := Exporter(in, "P-DELL", Period{})
		require.NoError(t, err)
		ctry, err := Country(in, "IN", Period{})
		require.NoError(t, err)
		site, err := Site(in, "S-PAULISTA-DC1")
		require.NoError(t, err)
		dos, err := Dossier(in, string(subjectUnits(w.scenario(t, "alx-solutions"), events.KindChip)[0]), nil)
		require.NoError(t, err)
		for _, rep := range []Report{exp, ctry, site, dos} {
			b := rep.Base()
			t.Run(b.Report, func(t *testing.T) {
				assert.Equal(t, in.Head, b.Head)
				assert.Equal(t, in.Policies[0].Citation.Digest, b.Policy.Digest)
				assert.NotEmpty(t, b.Policy.Digest)

				var js bytes.Buffer
				require.NoError(t, Render(&js, FormatJSON, rep))
				var m map[string]any
				require.NoError(t, json.Unmarshal(js.Bytes(), &m))
				basis := m["basis"].(map[string]any)
				assert.EqualValues(t, in.Head.Seq, basis["ledger_head"].(map[string]any)["sequence"])
				var again bytes.Buffer
				require.NoError(t, Render(&again, FormatJSON, rep))
				assert.Equal(t, js.String(), again.String(), "deterministic")

				var cs bytes.Buffer
				require.NoError(t, Render(&cs, FormatCSV, rep))
				r := csv.NewReader(&cs)
				r.FieldsPerRecord = -1
				records, err := r.ReadAll()
				require.NoError(t, err)
				sections := map[string][][]string{}
				var cur string
				var width int
				for i := 0; i < len(records); i++ {
					rec := records[i]
					if rec[0] == "#section" {
						require.Len(t, rec, 2)
						cur = rec[1]
						require.Less(t, i+1, len(records), "section %s has a header", cur)
						i++
						width = len(records[i])
						sections[cur] = [][]string{records[i]}
						continue
					}
					require.NotEmpty(t, cur, "a record before any section")
					assert.Len(t, rec, width, "section %s: %v", cur, rec)
					sections[cur] = append(sections[cur], rec)
				}
				for _, s := range append([]Section{basisSection(b)}, rep.Sections()...) {
					require.Contains(t, sections, s.Name)
					assert.Equal(t, s.Header, sections[s.Name][0])
					assert.Len(t, sections[s.Name], len(s.Rows)+1, s.Name)
				}
				kv := map[string]string{}
				for _, row := range sections["basis"][1:] {
					kv[row[0]] = row[1]
				}
				assert.Equal(t, u64(in.Head.Seq), kv["ledger_head_sequence"])
				assert.Equal(t, in.Head.Hash, kv["ledger_head_hash"])
				assert.Equal(t, b.Policy.Digest, kv["policy_digest"])

				var hb bytes.Buffer
				require.NoError(t, Render(&hb, FormatHTML, rep))
				page := hb.String()
				assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
				for _, s := range rep.Sections() {
					assert.Contains(t, page, `<section id="`+s.Name+`">`)
				}
				assert.Contains(t, page, "<style>")
				assert.NotContains(t, page, "src=")
				assert.NotContains(t, page, "href=")
				assert.NotContains(t, page, "<script")
				dec := xml.NewDecoder(strings.NewReader(page))
				var stack []string
				for {
					tok, err := dec.Token()
					if err == io.EOF {
						break
					}
					require.NoError(t, err, "the page is well-formed")
					switch tk := tok.(type) {
					case xml.StartElement:
						stack = append(stack, tk.Name.Local)
					case xml.EndElement:
						require.NotEmpty(t, stack)
						stack = stack[:len(stack)-1]
					}
				}
				assert.Empty(t, stack, "every element is closed")

				var tb bytes.Buffer
				require.NoError(t, Render(&tb, FormatTable, rep))
				assert.True(t, strings.HasPrefix(tb.String(), rep.Title()))
				assert.ErrorIs(t, Render(io.Discard, "pdf", rep), ErrInvalid)
			})
		}
	})
}

// TestSiteShortcut: as of the ledger's latest event, the site report reads
// a chip's chain only when its state and last step do not settle it; for
// every chip of every data center the shortcut agrees with the chain.
func TestSiteShortcut(t *testing.T) {
	theWorld.view(t, func(in Input) {
		e, _, err := newEnv(in, KindSite, "")
		require.NoError(t, err)
		res := theWorld.idx.resolve()
		src := projections.CachedSource(in.Source, 1<<16)
		settled, read := 0, 0
		for _, site := range in.Projection.Sites() {
			s, _ := in.Projection.Site(site)
			if s.Kind != events.SiteDatacenter {
				continue
			}
			recvd := map[events.UnitID]bool{}
			for _, ev := range res.live {
				if b, ok := ev.Body.(*events.Received); ok && b.At.Site == site {
					chips, _ := res.chips(ev)
					for _, c := range chips {
						recvd[c] = true
					}
				}
			}
			held, err := in.Projection.HeldUnits(projections.BySite, site)
			require.NoError(t, err)
			from := e.asOf.Add(-21 * 24 * time.Hour)
			for _, c := range held {
				if c.Kind() != events.KindChip {
					continue
				}
				chain, err := e.siteChip(src, c, site, s.Country, from)
				require.NoError(t, err)
				quick, ok, err := e.siteChipNow(src, c, site, s.Country, from, recvd[c])
				require.NoError(t, err)
				if !ok {
					read++
					continue
				}
				settled++
				assert.Equal(t, chain, quick, "%s at %s", c, site)
			}
		}
		assert.Greater(t, settled, 1000, "most chips are settled without their chain")
		t.Logf("settled %d, read %d", settled, read)
	})
}
