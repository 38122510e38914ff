package collector

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Source is one evidence source. Each lives in a file of its own that
// registers it from init().
type Source struct {
	Name string
	// Order is the source's place in the order of volatility (RFC 3227
	// §2.1): lower runs first. Conventions: 10 network state and processes,
	// 20 process memory, 30 host facts, 50 logs, 60 configuration, 70
	// persistence, 80 packages, 90 file timeline.
	Order int
	// Live sources read a live kernel (/proc, sockets, capture); they are
	// skipped with --root.
	Live bool
	// Background sources (packet capture) start before every other source
	// and run alongside them.
	Background bool
	// Budget is the source's time budget (0: Options.SourceTimeout).
	Budget time.Duration
	// BudgetOf, when set, computes the budget from the options (it
	// overrides Budget): the file timeline's follows --timeline-budget.
	BudgetOf func(o Options) time.Duration
	// Help is one line for --list-sources.
	Help    string
	Collect func(ctx context.Context, env *Env) error
}

var registry = map[string]Source{}

// Register adds a source. It panics on a duplicate name: that is a
// programming error found by any test run.
func Register(s Source) {
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("collector: source %q registered twice", s.Name))
	}
	if s.Collect == nil {
		panic(fmt.Sprintf("collector: source %q has no Collect", s.Name))
	}
	registry[s.Name] = s
}

// Registered returns every source, in order of volatility.
func Registered() []Source {
	out := make([]Source, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup returns the source named name.
func Lookup(name string) (Source, bool) {
	s, ok := registry[name]
	return s, ok
}
