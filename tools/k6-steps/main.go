// k6 with a count of the JS steps it runs (issue 29), for `OVERHEAD_STEPS=1 npm run bench:overhead`.
// A development tool, built by scripts/build-k6-steps.sh beside the pinned k6 (never linked into
// talkload): the pinned sobek (k6's JS engine, MIT) with steps.go added and one line in its
// interpreter loop, so that each executed instruction is counted by source line. With
// SOBEK_STEPS=<file> it counts from SOBEK_STEPS_FROM seconds for SOBEK_STEPS_SECONDS seconds and
// writes the counts by function, by instruction and by line to the file.
package main

import (
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/cmd"
)

func main() {
	if path := os.Getenv("SOBEK_STEPS"); path != "" {
		from, _ := strconv.Atoi(os.Getenv("SOBEK_STEPS_FROM"))
		secs, _ := strconv.Atoi(os.Getenv("SOBEK_STEPS_SECONDS"))
		go func() {
			time.Sleep(time.Duration(from) * time.Second)
			atomic.StoreInt32(&sobek.StepsOn, 1)
			time.Sleep(time.Duration(secs) * time.Second)
			atomic.StoreInt32(&sobek.StepsOn, 0)
			if f, err := os.Create(path); err == nil {
				sobek.StepsDump(f)
				_ = f.Close()
			}
		}()
	}
	cmd.Execute()
}
