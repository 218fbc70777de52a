package screening_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/screening"
)

// FuzzLoad: Load never panics; a list it accepts is not empty, and every
// entry's name screens as an exact match of that entry.
func FuzzLoad(f *testing.F) {
	data, err := os.ReadFile(smallCSV)
	require.NoError(f, err)
	header := strings.Join(screening.Columns(), ",")
	f.Add(data)
	f.Add([]byte(header + "\n"))
	f.Add([]byte(header + "\n1,EL,,,,\"Acme\nCo\",,\"x, CN; y, RU\"" + strings.Repeat(",", 21) + "\n"))
	f.Add([]byte("\xef\xbb\xbf" + header + "\r\n1,,,,,Acme" + strings.Repeat(",", 23) + "\r\n"))
	f.Add([]byte(header + "\n1,,,,,\"Acme" + strings.Repeat(",", 23) + "\n"))
	f.Add([]byte("_id,name\n1,Acme\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := screening.Load(bytes.NewReader(in))
		if err != nil {
			assert.Nil(t, l)
			assert.True(t, strings.HasPrefix(err.Error(), "screening: "), err.Error())
			return
		}
		require.Positive(t, l.Len())
		assert.True(t, strings.HasPrefix(l.Digest(), "sha256:"))
		assert.Empty(t, l.Screen("", ""))
		// Every row's name finds its row as an exact match.
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(in, []byte("\xef\xbb\xbf"))))
		rows, err := cr.ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, l.Len()+1)
		name := slices.Index(rows[0], "name")
		id := slices.Index(rows[0], "_id")
		for _, row := range rows[1:min(len(rows), 51)] {
			ms := l.Screen(row[name], "")
			i := slices.IndexFunc(ms, func(m screening.Match) bool {
				return m.Entry.ID == strings.TrimSpace(row[id]) && m.Entry.Name == strings.TrimSpace(row[name])
			})
			if assert.GreaterOrEqual(t, i, 0, "%q not found: %+v", row[name], ms) {
				assert.Equal(t, screening.KindExact, ms[i].Kind)
				assert.Equal(t, 1.0, ms[i].Score)
			}
		}
	})
}

// FuzzNormalize: Normalize is idempotent and returns valid UTF-8 words
// separated by single spaces.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"HUAWEI TECHNOLOGIES CO., LTD.", "OOO \"Sertal\"", "Xi'an", "Société Générale", "Łódź",
		"Ｈｕａｗｅｉ", "Co., Ltd.", "Ltd Co", "S. A.", "A & B", "ООО Микрон", "华为", "\xff\xfe",
		"Nguyễn", "e\u0301", "İstanbul", "ǅemal", "limited liability company", "the co",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := screening.Normalize(s)
		assert.Equal(t, n, screening.Normalize(n), "input %q", s)
		assert.True(t, utf8.ValidString(n))
		assert.False(t, strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  "), "%q", n)
	})
}
