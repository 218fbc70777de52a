package simulate

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
)

// ScreeningHeader is the header of the US Consolidated Screening List CSV.
var ScreeningHeader = []string{"_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
	"federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement", "license_policy",
	"call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage", "vessel_flag", "vessel_owner", "remarks",
	"source_list_url", "alt_names", "citizenships", "dates_of_birth", "nationalities", "places_of_birth",
	"source_information_url", "ids"}

// restricted is one row of the screening list.
type restricted struct {
	source, program, name, alt, address, country, frn, start string
	individual                                               bool
}

const (
	srcEL  = "Entity List (EL) - Bureau of Industry and Security"
	srcUVL = "Unverified List (UVL) - Bureau of Industry and Security"
	srcDPL = "Denied Persons List (DPL) - Bureau of Industry and Security"
	srcMEU = "Military End User (MEU) List - Bureau of Industry and Security"
	srcSDN = "Specially Designated Nationals (SDN) - Treasury Department"
)

// decoys are listed parties that never trade in the world.
var decoys = []restricted{
	{srcEL, "EAR", "Novosibirsk Radiotechnical Instruments JSC", "NRTI", "14 Kirova Street", "RU", "89 FR 14701", "2024-02-23", false},
	{srcEL, "EAR", "Kazan Microwave Components Plant", "", "22 Tukaya Street", "RU", "88 FR 59793", "2023-08-30", false},
	{srcEL, "EAR", "Wuhan Hongxin Optoelectronic Research Institute", "", "88 Guanggu Avenue", "CN", "89 FR 23876", "2024-04-11", false},
	{srcEL, "EAR", "Chongqing Tianyu Aerospace Electronics Co., Ltd.", "Tianyu Aero Electronics", "5 Xiyong Road", "CN", "88 FR 71991", "2023-10-19", false},
	{srcEL, "EAR", "Harbin Polar Star Instrument Factory", "", "31 Xuefu Road", "CN", "87 FR 77505", "2022-12-19", false},
	{srcEL, "EAR", "Tehran Nasr Precision Engineering Co.", "", "Saadat Abad Blvd", "IR", "85 FR 34495", "2020-06-05", false},
	{srcEL, "EAR", "Minsk Integral Design Bureau", "", "12 Kazintsa Street", "BY", "87 FR 13048", "2022-03-08", false},
	{srcEL, "EAR", "Shenyang Northern Semiconductor Test Co., Ltd.", "", "17 Hunnan Road", "CN", "89 FR 101835", "2024-12-16", false},
	{srcEL, "EAR", "Xi'an Qinling Supercomputing Applications Center", "", "66 Keji Road", "CN", "88 FR 12150", "2023-03-02", false},
	{srcEL, "EAR", "Yekaterinburg Ural Optics Works", "UOMZ Trading", "33a Vostochnaya Street", "RU", "87 FR 42955", "2022-07-19", false},
	{srcUVL, "EAR", "Golden Lotus Import Export Trading (HK) Limited", "", "Room 1502, 15/F, Nathan Road", "HK", "89 FR 7040", "2024-02-07", false},
	{srcUVL, "EAR", "Karachi Precision Tools (Pvt) Limited", "", "Plot 45, SITE Area", "PK", "88 FR 54875", "2023-08-14", false},
	{srcUVL, "EAR", "Almaty Steppe Electronics Supply LLP", "", "101 Abay Avenue", "KZ", "89 FR 51650", "2024-06-18", false},
	{srcDPL, "EAR", "Viktor ORLOVSKY", "", "7 Arbat Street", "RU", "86 FR 30220", "2021-06-07", true},
	{srcDPL, "EAR", "Ruslan BEKOV", "", "Dubai Silicon Oasis", "AE", "88 FR 34791", "2023-05-31", true},
	{srcMEU, "EAR", "Beijing Yanshan Avionics Research Institute", "", "2 Yanshan Road", "CN", "85 FR 83799", "2020-12-23", false},
	{srcMEU, "EAR", "Tula Instrument Design Bureau", "", "59 Shcheglovskaya Zaseka", "RU", "87 FR 38920", "2022-06-30", false},
	{srcSDN, "RUSSIA-EO14024", "Sevastopol Maritime Logistics LLC", "", "4 Nakhimov Square", "RU", "", "2023-02-24", false},
	{srcSDN, "IRAN; NPWMD", "Parsian Dana Machinery Trading Co.", "", "Vanak Square", "IR", "", "2022-10-26", false},
	{srcSDN, "RUSSIA-EO14024", "Baltic Semiconductor Trading House", "", "17 Lenina Prospekt", "RU", "", "2024-05-01", false},
	{srcSDN, "DPRK3", "Pyongyang Unha Technology Trading Corporation", "", "Potonggang District", "KP", "", "2019-09-13", false},
	{srcSDN, "VENEZUELA-EO13884", "Caracas Andes Telecomunicaciones C.A.", "", "Avenida Urdaneta", "VE", "", "2021-01-19", false},
}

// screeningCSV writes the list: the scenarios' restricted parties among
// the decoys, in the real CSL format.
func (s *Sim) screeningCSV() []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(ScreeningHeader)
	rows := append([]restricted{}, decoys[:len(decoys)/2]...)
	rows = append(rows, s.stor.restricted...)
	rows = append(rows, decoys[len(decoys)/2:]...)
	for i, r := range rows {
		typ := "Entity"
		if r.individual {
			typ = "Individual"
		}
		url := "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"
		req, pol, std := "For all items subject to the EAR. (See §744.11 of the EAR)", "Presumption of denial.", "N"
		num := ""
		switch r.source {
		case srcUVL:
			url, req, pol = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/unverified-list", "", ""
		case srcDPL:
			url, req, pol, std = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/denied-persons-list", "", "", "Y"
		case srcMEU:
			url, req = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern", "For items listed in supplement no. 2 to part 744"
		case srcSDN:
			url, req, pol = "https://sanctionssearch.ofac.treas.gov/", "", ""
			num = fmt.Sprint(30000 + mix(s.seed^uint64(i))%9000)
		}
		id := fmt.Sprintf("%016x%08x", mix(hstr(r.name)), mix(hstr(r.source))>>32)
		_ = cw.Write([]string{id, r.source, num, typ, r.program, r.name, "", r.address + ", " + countryCity(s, r.country) + ", , " + r.country,
			r.frn, r.start, "", std, req, pol, "", "", "", "", "", "", "", url, r.alt, "", "", "", "", "", ""})
	}
	cw.Flush()
	return buf.Bytes()
}

func countryCity(s *Sim, code string) string {
	if c := s.w.countries[code]; c != nil {
		return c.city
	}
	return ""
}

// WriteScreening writes the screening list (US Consolidated Screening List
// CSV format with its full header).
func (s *Sim) WriteScreening(w io.Writer) error {
	_, err := w.Write(s.csv)
	return err
}

// Screening returns the screening list CSV bytes (shared: do not modify).
func (s *Sim) Screening() []byte { return s.csv }
