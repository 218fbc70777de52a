package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a built report: its struct is its JSON; Sections are its
// tables for CSV, HTML and text.
type Report interface {
	Base() *Basis
	Title() string
	Sections() []Section
}

// Section is one table of a report. A key-value section has the header
// ["field", "value"].
type Section struct {
	Name   string     // the CSV section name
	Title  string     // the heading in HTML and text
	Note   string     // a sentence under the heading
	Header []string   // column names
	Rows   [][]string // one cell per column
	Code   []int      // columns shown as code (hashes, JSON) in HTML
}

// Formats Render writes.
const (
	FormatJSON  = "json"
	FormatCSV   = "csv"
	FormatHTML  = "html"
	FormatTable = "table"
)

// ContentType is the HTTP Content-Type of a format.
func ContentType(format string) string {
	switch format {
	case FormatJSON:
		return "application/json"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// FileName is a download name for a report: kind, subject and the ledger
// sequence it was built at.
func FileName(r Report, format string) string {
	b := r.Base()
	subj := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, b.Subject)
	ext := format
	if format == FormatTable {
		ext = "txt"
	}
	return fmt.Sprintf("chipledger-%s-%s-%d.%s", b.Report, subj, b.Seq, ext)
}

// Render writes a report as json (the struct), csv, html (a printable
// standalone page, inline CSS, no external assets) or table (text).
//
// CSV: sections one after another, each introduced by a record of two
// fields, "#section" and the section's name, followed by its header row
// and its rows; a blank line separates sections. The first section is
// "basis" (field, value): the ledger head, the policy digest and the as-of
// time the report was built from. Read it with encoding/csv and
// FieldsPerRecord = -1.
func Render(w io.Writer, format string, r Report) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatCSV:
		return renderCSV(w, r)
	case FormatHTML:
		return renderHTML(w, r)
	case FormatTable, "":
		return renderText(w, r)
	}
	return fmt.Errorf("%w: format %q: want json, csv, html or table", ErrInvalid, format)
}

func all(r Report) []Section { return append([]Section{basisSection(r.Base())}, r.Sections()...) }

func renderCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	for i, s := range all(r) {
		if i > 0 {
			cw.Flush()
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := cw.Write([]string{"#section", s.Name}); err != nil {
			return err
		}
		if err := cw.Write(s.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(s.Rows); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func renderText(w io.Writer, r Report) error {
	fmt.Fprintf(w, "%s\n", r.Title())
	for _, s := range all(r) {
		fmt.Fprintf(w, "\n== %s ==\n", s.Title)
		if s.Note != "" {
			fmt.Fprintf(w, "%s\n", s.Note)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		if !isKV(s) {
			fmt.Fprintln(tw, strings.ToUpper(strings.Join(s.Header, "\t")))
		}
		for _, row := range s.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = strings.ReplaceAll(orDash(c), "\n", " ")
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		if len(s.Rows) == 0 {
			fmt.Fprintln(tw, "(none)")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func isKV(s Section) bool {
	return len(s.Header) == 2 && s.Header[0] == "field" && s.Header[1] == "value"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"kv":   isKV,
	"code": func(s Section, i int) bool { return contains(s.Code, i) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font-family: "Helvetica Neue", Arial, sans-serif; font-size: 10.5pt; color: #111; margin: 2em; max-width: 100%; }
h1 { font-size: 16pt; margin: 0 0 0.2em 0; }
h2 { font-size: 12pt; margin: 1.6em 0 0.4em 0; border-bottom: 1px solid #999; padding-bottom: 0.1em; }
p.sub, p.note { color: #444; margin: 0.2em 0 0.6em 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 0.8em; }
th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eee; font-weight: 600; }
table.kv th { width: 16em; }
code { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 8.5pt; word-break: break-all; }
footer { margin-top: 2em; color: #555; font-size: 9pt; }
@media print {
  body { margin: 0; font-size: 9pt; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="sub">Ledger head {{.Basis.Head.Seq}} ({{.Basis.Head.Hash}}), policy {{.Basis.Policy.Name}} {{.Basis.Policy.Version}} {{.Basis.Policy.Digest}}, as of {{.AsOf}}.</p>
</header>
{{range $s := .Sections}}<section id="{{$s.Name}}">
<h2>{{$s.Title}}</h2>
{{if $s.Note}}<p class="note">{{$s.Note}}</p>
{{end}}{{if kv $s}}<table class="kv">
<tbody>
{{range $s.Rows}}<tr><th scope="row">{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<table>
<thead><tr>{{range $s.Header}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $row := $s.Rows}}<tr>{{range $i, $c := $row}}{{if code $s $i}}<td><code>{{$c}}</code></td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{else}}<tr><td colspan="{{len $s.Header}}">none</td></tr>
{{end}}</tbody>
</table>
{{end}}</section>
{{end}}<footer>Built by chipledger from the ledger entries up to sequence {{.Basis.Seq}}; every figure can be traced to the entries cited. {{.Basis.Scope}}</footer>
</body>
</html>
`))

func renderHTML(w io.Writer, r Report) error {
	b := r.Base()
	return page.Execute(w, struct {
		Title    string
		Basis    *Basis
		AsOf     string
		Sections []Section
	}{r.Title(), b, stamp(b.AsOf), all(r)})
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func basisSection(b *Basis) Section {
	s := Section{Name: "basis", Title: "Built from", Header: []string{"field", "value"}, Note: b.Scope}
	add := func(k, v string) { s.Rows = append(s.Rows, []string{k, v}) }
	add("report", b.Report)
	add("subject", b.Subject)
	add("ledger_head_sequence", u64(b.Head.Seq))
	add("ledger_head_hash", b.Head.Hash)
	add("projection_sequence", u64(b.Seq))
	add("detection_sequence", u64(b.Detection))
	add("ledger_now", stamp(b.Now))
	add("as_of", stamp(b.AsOf))
	add("as_of_given", strconv.FormatBool(b.AsOfGiven))
	add("policy_name", b.Policy.Name)
	add("policy_version", b.Policy.Version)
	add("policy_digest", b.Policy.Digest)
	add("policy_effective", b.Policy.Effective)
	add("policy_activation_sequence", u64(b.Policy.Seq))
	for i, p := range b.Policies {
		add(fmt.Sprintf("policy_version_%d", i+1), fmt.Sprintf("%s %s %s effective %s", p.Name, p.Version, p.Digest, p.Effective))
	}
	return s
}

func u64(v uint64) string     { return strconv.FormatUint(v, 10) }
func itoa(v int) string       { return strconv.Itoa(v) }
func i64(v int64) string      { return strconv.FormatInt(v, 10) }
func tpp(v float64) string    { return strconv.FormatFloat(v, 'f', 1, 64) }
func h100(v float64) string   { return strconv.FormatFloat(v, 'f', 3, 64) }
func share(v float64) string  { return strconv.FormatFloat(v, 'f', 4, 64) }
func yes(v bool) string       { return strconv.FormatBool(v) }
func join(xs []string) string { return strings.Join(xs, " ") }

func units[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, " ")
}

func date(t time.Time) string { return day(t) }

func alertRows(as []AlertRef) [][]string {
	var rows [][]string
	for _, a := range as {
		rows = append(rows, []string{a.ID, a.Rule, a.Severity, a.CaseSeverity, a.State, a.SubjectKind, a.Subject, stamp(a.OccurredAt), a.Sentence})
	}
	return rows
}

var alertHeader = []string{"id", "rule", "severity", "case_severity", "state", "subject_kind", "subject", "occurred_at", "sentence"}

func byRuleSection(name, title string, s AlertSummary) Section {
	sec := Section{Name: name, Title: title, Header: []string{"rule", "open"}}
	for _, r := range rules(s.ByRule) {
		sec.Rows = append(sec.Rows, []string{r, itoa(s.ByRule[r])})
	}
	return sec
}

// ---- exporter ----------------------------------------------------------

// Base returns the report's basis.
func (r *ExporterReport) Base() *Basis { return &r.Basis }

// Title names the report.
func (r *ExporterReport) Title() string {
	return fmt.Sprintf("Exporter report: %s%s, %s", r.Party.ID, paren(r.Party.Name), periodText(r.Period))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func periodText(p Period) string {
	switch {
	case p.From.IsZero() && p.To.IsZero():
		return "all time"
	case p.To.IsZero():
		return "from " + stamp(p.From)
	case p.From.IsZero():
		return "before " + stamp(p.To)
	}
	return "from " + stamp(p.From) + " to " + stamp(p.To) + " (exclusive)"
}

var exportHeader = []string{"kind", "destination", "eccn", "authorisation", "documents", "units", "chips", "tpp", "h100_equivalents", "chip_eccns"}

func exportRow(r ExportRow) []string {
	return []string{r.Kind, r.Destination, r.ECCN, r.Authorisation, itoa(r.Documents), itoa(r.Units), itoa(r.Chips), tpp(r.TPP), h100(r.H100), join(r.ChipECCNs)}
}

// Sections are the report's tables.
func (r *ExporterReport) Sections() []Section {
	party := Section{Name: "party", Title: "Exporter", Header: []string{"field", "value"}, Rows: [][]string{
		{"party", r.Party.ID}, {"name", r.Party.Name}, {"registered", yes(r.Party.Registered)}, {"country", r.Party.Country},
		{"hq_country", r.Party.HQCountry}, {"types", join(r.Party.Types)}, {"record_sequence", u64(r.Party.Seq)},
		{"period_from", stamp(r.Period.From)}, {"period_to_exclusive", stamp(r.Period.To)},
	}}
	rows := Section{Name: "exports", Title: "Exports by destination, ECCN and authorisation", Header: exportHeader,
		Note: "Shipments: cross-border unit.shipped.v1 with the party as shipper; declarations: export.declared.v1 with the party as exporter (the same goods may appear in both). " +
			"ECCN as declared on the document, else the chips' catalogue classification. Chips are those inside the named units at the document's time."}
	for _, x := range r.Rows {
		rows.Rows = append(rows.Rows, exportRow(x))
	}
	totals := Section{Name: "totals", Title: "Totals by kind", Header: exportHeader}
	for _, x := range r.Totals {
		totals.Rows = append(totals.Rows, exportRow(x))
	}
	lic := Section{Name: "licences", Title: "Licence utilisation", Header: []string{"licence", "known", "holder", "destination", "end_user", "eccn",
		"quantity", "used", "remaining", "over_quantity", "shipments", "used_in_period", "declarations", "valid_from", "valid_until", "valid", "revoked", "revoked_at", "revocation_reason", "grant_sequence"},
		Note: "Used: chips of every cross-border shipment citing the licence (whoever shipped), once per shipment, as rule R21 counts them; valid at the as-of time."}
	for _, l := range r.Licences {
		lic.Rows = append(lic.Rows, []string{l.Licence, yes(l.Known), l.Holder, l.Destination, l.EndUser, l.ECCN, i64(l.Quantity), itoa(l.Used), i64(l.Remaining),
			yes(l.Over), itoa(l.Shipments), itoa(l.UsedInPeriod), itoa(l.Declarations), l.ValidFrom, l.ValidUntil, yes(l.Valid), yes(l.Revoked), date(l.RevokedAt), l.Reason, u64(l.Seq)})
	}
	docs := Section{Name: "documents", Title: "Documents", Header: []string{"kind", "occurred_at", "event_id", "sequence", "origin", "destination", "via", "consignee",
		"end_user", "authorisation", "eccn", "eccn_source", "chip_eccns", "units", "chips", "tpp", "h100_equivalents"}, Code: []int{2}}
	for _, d := range r.Documents {
		docs.Rows = append(docs.Rows, []string{d.Kind, stamp(d.OccurredAt), d.EventID, u64(d.Seq), d.Origin, d.Destination, join(d.Via), d.Consignee, d.EndUser,
			d.Authorisation, d.ECCN, d.ECCNSource, join(d.ChipECCNs), units(d.Units), itoa(d.Chips), tpp(d.TPP), h100(d.H100)})
	}
	al := Section{Name: "alerts", Title: fmt.Sprintf("Open alerts on the exported units (%d)", r.Alerts.Open), Header: alertHeader, Rows: alertRows(r.Alerts.Alerts), Code: []int{0}}
	pal := Section{Name: "party_alerts", Title: fmt.Sprintf("Open alerts on the party (%d)", r.PartyAlerts.Open), Header: alertHeader, Rows: alertRows(r.PartyAlerts.Alerts), Code: []int{0}}
	return []Section{party, rows, totals, lic, byRuleSection("alerts_by_rule", "Open alerts on the exported units by rule", r.Alerts), al, pal, docs}
}

// ---- country -----------------------------------------------------------

// Base returns the report's basis.
func (r *CountryReport) Base() *Basis { return &r.Basis }

// Title names the report.
func (r *CountryReport) Title() string {
	return fmt.Sprintf("Country report: %s, %s", r.Country, periodText(r.Period))
}

var flowHeader = []string{"partner", "shipments", "units", "chips", "tpp", "h100_equivalents"}

func flowRow(f FlowRow) []string {
	return []string{f.Partner, itoa(f.Shipments), itoa(f.Units), itoa(f.Chips), tpp(f.TPP), h100(f.H100)}
}

// Sections are the report's tables.
func (r *CountryReport) Sections() []Section {
	sum := Section{Name: "country", Title: "Country", Header: []string{"field", "value"}, Rows: [][]string{
		{"country", r.Country}, {"requested", r.Requested}, {"groups", join(r.Groups)}, {"embargoed", yes(r.Embargoed)},
		{"licence_required", yes(r.LicenceRequired)}, {"hub", yes(r.Hub)}, {"period_from", stamp(r.Period.From)}, {"period_to_exclusive", stamp(r.Period.To)},
	}}
	in := Section{Name: "inflows", Title: "Inflows by origin", Header: flowHeader, Note: "Cross-border shipments into the country (EAR destinations: Hong Kong is China); the last row is the total."}
	for _, f := range r.Inflows {
		in.Rows = append(in.Rows, flowRow(f))
	}
	in.Rows = append(in.Rows, flowRow(r.InflowTotal))
	out := Section{Name: "outflows", Title: "Outflows by destination", Header: flowHeader, Note: "Cross-border shipments out of the country; the last row is the total."}
	for _, f := range r.Outflows {
		out.Rows = append(out.Rows, flowRow(f))
	}
	out.Rows = append(out.Rows, flowRow(r.OutflowTotal))
	ib := r.Installed
	base := Section{Name: "installed_base", Title: "Installed base", Header: []string{"field", "value"}, Note: ib.Note, Rows: [][]string{
		{"as_of", stamp(ib.AsOf)}, {"codes", join(ib.Codes)}, {"units", itoa(ib.Units)}, {"chips", itoa(ib.Chips)}, {"installed", itoa(ib.Installed)},
		{"received_ever", itoa(ib.Received)}, {"tpp", tpp(ib.TPP)}, {"h100_equivalents", h100(ib.H100)},
	}}
	models := Section{Name: "installed_by_model", Title: "Installed base by model", Header: []string{"model", "chips", "tpp", "h100_equivalents"}}
	for _, m := range ib.ByModel {
		models.Rows = append(models.Rows, []string{m.Model, itoa(m.Chips), tpp(m.TPP), h100(m.H100)})
	}
	c := r.Caps
	fw := Section{Name: "caps", Title: "Jan 2025 caps accounting (R20, information only)", Header: []string{"field", "value"}, Note: c.Note, Rows: [][]string{
		{"framework", c.Framework}, {"effective", date(c.Effective)}, {"until", date(c.Until)}, {"rescinded", date(c.Rescinded)}, {"enforced", yes(c.Enforced)},
		{"tier", itoa(c.Tier)}, {"capped", yes(c.Capped)}, {"cap_tpp_per_country", tpp(c.CapTPP)}, {"lpp_h100_per_customer", h100(c.LPP)},
		{"first_year", itoa(c.FirstYear)}, {"last_year", itoa(c.LastYear)}, {"source", c.Source},
	}}
	years := Section{Name: "caps_years", Title: "TPP per year against the country cap", Header: []string{"year", "shipments", "chips", "tpp", "cap", "share", "above", "alerts"}, Code: []int{7}}
	for _, y := range c.Years {
		years.Rows = append(years.Rows, []string{itoa(y.Year), itoa(y.Shipments), itoa(y.Chips), tpp(y.TPP), tpp(y.Cap), share(y.Share), yes(y.Above), join(y.Alerts)})
	}
	cons := Section{Name: "caps_consignees", Title: "Consignees per year against the per-customer figure", Header: []string{"party", "name", "year", "shipments", "chips", "tpp", "h100_equivalents", "limit", "above", "alerts"}, Code: []int{9}}
	for _, x := range c.Consignees {
		cons.Rows = append(cons.Rows, []string{x.Party, x.Name, itoa(x.Year), itoa(x.Shipments), itoa(x.Chips), tpp(x.TPP), h100(x.H100), h100(x.Limit), yes(x.Above), join(x.Alerts)})
	}
	al := Section{Name: "alerts", Title: fmt.Sprintf("Open alerts about the country (%d)", r.Alerts.Open), Header: alertHeader, Rows: alertRows(r.Alerts.Alerts), Code: []int{0}}
	return []Section{sum, in, out, base, models, fw, years, cons, byRuleSection("alerts_by_rule", "Open alerts about the country by rule", r.Alerts), al}
}

// ---- site --------------------------------------------------------------

// Base returns the report's basis.
func (r *SiteReport) Base() *Basis { return &r.Basis }

// Title names the report.
func (r *SiteReport) Title() string {
	return fmt.Sprintf("Site report: %s%s", r.Site.ID, paren(r.Site.Name))
}

// Sections are the report's tables.
func (r *SiteReport) Sections() []Section {
	capacity := ""
	if r.Site.DeclaredCapacity != nil {
		capacity = i64(*r.Site.DeclaredCapacity)
	}
	power := ""
	if r.Site.DeclaredPowerKW != nil {
		power = strconv.FormatFloat(*r.Site.DeclaredPowerKW, 'f', -1, 64)
	}
	site := Section{Name: "site", Title: "Site", Header: []string{"field", "value"}, Rows: [][]string{
		{"site", r.Site.ID}, {"registered", yes(r.Site.Registered)}, {"name", r.Site.Name}, {"operator", r.Site.Operator}, {"operator_name", r.Site.OperatorName},
		{"country", r.Site.Country}, {"kind", r.Site.Kind}, {"declared_capacity_chips", capacity}, {"declared_power_kw", power}, {"registration_sequence", u64(r.Site.Seq)},
	}}
	fig := Section{Name: "capacity", Title: "Received, installed and attested against declared capacity", Header: []string{"field", "value"},
		Note: "Received: chips whose custody chain has a receipt at the site; installed: installed there at the as-of time; attested: a location attestation while at the site in the window.",
		Rows: [][]string{
			{"received", itoa(r.Received)}, {"installed", itoa(r.Installed)}, {"attested", itoa(r.Attested)}, {"attested_elsewhere", itoa(r.AttestedElsewhere)},
			{"declared_capacity_chips", capacity}, {"received_share_of_capacity", share(r.ReceivedShare)}, {"installed_share_of_capacity", share(r.InstalledShare)},
			{"over_capacity", yes(r.OverCapacity)}, {"capacity_mismatch_ratio", strconv.FormatFloat(r.Ratio, 'f', -1, 64)}, {"over_ratio", yes(r.OverRatio)},
			{"attestation_window_from", stamp(r.WindowFrom)}, {"attestation_window_to", stamp(r.WindowTo)}, {"attestation_window_days", itoa(r.WindowDays)},
			{"holdings_at_head_chips", itoa(r.Holdings.Chips)}, {"holdings_at_head_received", itoa(r.Holdings.Received)}, {"holdings_at_head_installed", itoa(r.Holdings.Installed)},
		}}
	models := Section{Name: "by_model", Title: "By model", Header: []string{"model", "received", "installed", "attested"}}
	for _, m := range r.ByModel {
		models.Rows = append(models.Rows, []string{m.Model, itoa(m.Received), itoa(m.Installed), itoa(m.Attested)})
	}
	r12 := Section{Name: "r12", Title: fmt.Sprintf("Capacity alerts (R12): %d", len(r.R12)), Header: alertHeader, Rows: alertRows(r.R12), Code: []int{0}}
	ua := Section{Name: "unit_alerts", Title: fmt.Sprintf("Open alerts on the chips counted (%d)", r.UnitAlerts.Open), Header: alertHeader, Rows: alertRows(r.UnitAlerts.Alerts), Code: []int{0}}
	return []Section{site, fig, models, r12, byRuleSection("unit_alerts_by_rule", "Open alerts on the chips counted, by rule", r.UnitAlerts), ua}
}

// ---- dossier -----------------------------------------------------------

// Base returns the report's basis.
func (r *DossierReport) Base() *Basis { return &r.Basis }

// Title names the report.
func (r *DossierReport) Title() string {
	verdict := "verified"
	if !r.Verification.OK {
		verdict = "VERIFICATION FAILED"
	}
	return fmt.Sprintf("Dossier: %s (%d entries, %s)", r.Unit.Unit, r.Verification.Entries, verdict)
}

// Sections are the report's tables.
func (r *DossierReport) Sections() []Section {
	u := r.Unit
	unit := Section{Name: "unit", Title: "Unit", Header: []string{"field", "value"}, Rows: [][]string{
		{"unit", string(u.Unit)}, {"kind", u.Kind}, {"model", u.Model}, {"catalogue_model", u.CatalogueModel}, {"eccn", u.ECCN}, {"tpp", tpp(u.TPP)},
		{"h100_equivalents", h100(u.H100Equivalents)}, {"holder", u.Holder}, {"owner", u.Owner}, {"site", u.Site}, {"country", u.Country}, {"status", u.Status},
		{"container", string(u.Container)}, {"containers", units(r.Containers)}, {"contents", units(u.Contents)}, {"last_sequence", u64(u.LastSeq)}, {"last_occurred", stamp(u.LastOccurred)},
	}}
	v := r.Verification
	broken, walk := "none", "not run"
	if v.Broken != nil {
		broken = fmt.Sprintf("sequence %d: %s", v.Broken.Seq, v.Broken.Reason)
	}
	if v.Walk != nil {
		walk = fmt.Sprintf("ok=%t head %d %s %s", v.Walk.OK, v.Walk.Head.Seq, v.Walk.Head.Hash, v.Walk.Error)
	}
	ver := Section{Name: "verification", Title: "Verification against the chain head", Header: []string{"field", "value"}, Note: v.Method, Rows: [][]string{
		{"ok", yes(v.OK)}, {"entries", itoa(v.Entries)}, {"failed", itoa(v.Failed)}, {"head_sequence", u64(v.Head.Seq)}, {"head_hash", v.Head.Hash},
		{"broken", broken}, {"chain_walk", walk},
	}}
	checks := Section{Name: "checks", Title: "Entry checks", Header: []string{"sequence", "cited_hash", "hash", "decodes", "hash_matches", "links_back", "linked_forward", "covered_by_head", "ok", "problems"}, Code: []int{1, 2}}
	for _, c := range v.Checks {
		checks.Rows = append(checks.Rows, []string{u64(c.Seq), c.Cited, c.Hash, yes(c.Decodes), yes(c.HashMatches), yes(c.LinksBack), yes(c.LinkedForward), yes(c.Covered), yes(c.OK), strings.Join(c.Problems, "; ")})
	}
	chain := Section{Name: "chain", Title: fmt.Sprintf("Custody chain (%d steps)", len(r.Chain)), Header: []string{"occurred_at", "type", "sequence", "hash", "via", "holder", "owner", "site", "country", "status", "amended_original", "summary"}, Code: []int{3}}
	for _, s := range r.Chain {
		orig := ""
		if s.Amended {
			orig = u64(s.Original)
		}
		chain.Rows = append(chain.Rows, []string{stamp(s.OccurredAt), s.Type, u64(s.Seq), s.Hash, string(s.Via), s.Holder, s.Owner, s.Site, s.Country, s.Status, orig, s.Summary})
	}
	al := Section{Name: "alerts", Title: fmt.Sprintf("Alerts on the unit (%d)", len(r.Alerts)), Header: []string{"id", "rule", "severity", "case_severity", "state", "occurred_at", "sentence", "policy", "fact"}, Code: []int{0}}
	ev := Section{Name: "evidence", Title: "Alert evidence", Header: []string{"alert", "sequence", "hash", "type", "occurred_at", "unit", "via", "summary"}, Code: []int{0, 2}}
	for _, a := range r.Alerts {
		al.Rows = append(al.Rows, []string{a.ID, a.Rule, a.Severity, a.CaseSeverity, a.State, stamp(a.OccurredAt), a.Sentence,
			fmt.Sprintf("%s %s %s", a.Policy.Name, a.Policy.Version, a.Policy.Digest), a.Fact})
		for _, e := range a.Evidence {
			ev.Rows = append(ev.Rows, []string{a.ID, u64(e.Seq), e.Hash, e.Type, stamp(e.OccurredAt), string(e.Unit), string(e.Via), e.Summary})
		}
	}
	entries := Section{Name: "entries", Title: fmt.Sprintf("Ledger entries (%d)", len(r.Entries)), Header: []string{"sequence", "hash", "previous_hash", "received", "source", "event_id", "canonical", "error"},
		Note: "The exact bytes hashed are in the JSON form of this report (raw, base64).", Code: []int{1, 2, 6}}
	for _, e := range r.Entries {
		entries.Rows = append(entries.Rows, []string{u64(e.Seq), e.Hash, e.Prev, stamp(e.Received), e.Source.String(), e.EventID, string(e.Canonical), e.Error})
	}
	return []Section{unit, ver, checks, chain, al, ev, entries}
}
