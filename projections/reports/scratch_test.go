package reports

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
)

func TestScratchIndex(t *testing.T) {
	dir := os.Getenv("SCRATCH_STATE")
	if dir == "" {
		t.Skip()
	}
	r, err := replica.Open(dir, replica.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	r.View(func(p *projections.Projection, src projections.Source) error {
		us := p.Units()
		c := newCache(src)
		for i, u := range us {
			if i%4 == 0 {
				p.History(c, u)
			}
		}
		return nil
	})
	t.Logf("thrash %v", time.Since(start))
	for _, w := range []int{1, 2, 1, 2} {
		runtime.GOMAXPROCS(w)
		ix := NewIndex()
		start := time.Now()
		if err := ix.Update(r, r.Head().Seq); err != nil {
			t.Fatal(err)
		}
		t.Logf("index workers=%d %v", w, time.Since(start))
	}
}
