package report

// The timeline picture: the main thread's steps and the findings' evidence
// on a time axis with labelled UTC ticks, one lane per kind of mark, the
// first anomalous event and the last known-good point labelled, and a
// <title> on every mark, so that hovering shows what it is without any
// script (the page's CSP forbids scripts).

import (
	"fmt"
	"sort"
	"time"
)

// Geometry of the picture, in viewBox units (it scales to the page width).
const (
	svgWidth  = 1000
	plotLeft  = 130
	plotRight = 970
	laneTop   = 34
	laneGap   = 26
)

var sevColor = map[string]string{"critical": "#b00020", "high": "#d84315", "medium": "#b8860b", "low": "#1565c0", "info": "#607d8b"}

const chainColor = "#4a148c"

type svgMark struct {
	X, Y  int
	Color string
	Label string
}

type svgLane struct {
	Y     int
	Label string
	Color string
}

type svgTick struct {
	X     int
	Label string
}

type svgPin struct {
	X     int
	Label string
	Title string
	Left  bool // the label ends at the pin (it would run off the right edge)
}

// picture is what the template draws.
type picture struct {
	Width, Height int
	AxisY         int
	PlotLeft      int
	PlotRight     int
	Lanes         []svgLane
	Ticks         []svgTick
	Marks         []svgMark
	First         *svgPin
	Golden        *svgPin
	From, To      string
	Outside       int // marks outside the window, not drawn
}

// tickSteps are the spacings the axis may use.
var tickSteps = []time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
	91 * 24 * time.Hour, 182 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// timed is a mark before it is placed.
type timed struct {
	t     time.Time
	lane  string
	color string
	label string
}

func laneOf(sev string) string { return "finding: " + sev }

// draw lays out the picture of a report; nil when nothing has a time.
func draw(r Report) *picture {
	var all []timed
	var lo, hi time.Time
	if len(r.Threads) > 0 {
		for _, s := range r.Threads[0].Steps {
			if s.Time.Year() < 1971 {
				continue
			}
			all = append(all, timed{s.Time, "attack chain", chainColor, timeUTC(s.Time) + " " + s.Stage + ": " + cut(s.Text, 300)})
			if lo.IsZero() || s.Time.Before(lo) {
				lo = s.Time
			}
			if s.Time.After(hi) {
				hi = s.Time
			}
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		for _, e := range f.Evidence {
			t, err := time.Parse(time.RFC3339Nano, e.Time)
			if err != nil || t.Year() < 1971 {
				continue
			}
			all = append(all, timed{t, laneOf(f.Severity), sevColor[f.Severity], timeUTC(t) + " " + f.RuleID + ": " + cut(e.Message, 300)})
		}
	}
	if len(all) == 0 {
		return nil
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	// The picture spans the main thread when there is one, so that hours of
	// unrelated host history do not squeeze the attack into a dot.
	if lo.IsZero() {
		lo, hi = all[0].t, all[len(all)-1].t
	}
	pad := hi.Sub(lo) / 20
	if pad == 0 {
		pad = time.Second
	}
	lo, hi = lo.Add(-pad), hi.Add(pad)
	span := hi.Sub(lo)
	x := func(t time.Time) int {
		return plotLeft + int(float64(t.Sub(lo))/float64(span)*float64(plotRight-plotLeft))
	}

	p := &picture{Width: svgWidth, PlotLeft: plotLeft, PlotRight: plotRight, From: timeUTC(lo), To: timeUTC(hi)}
	// Lanes: the chain, then each severity present, most severe first.
	laneY := map[string]int{}
	addLane := func(name, color string) {
		if _, ok := laneY[name]; ok {
			return
		}
		y := laneTop + len(p.Lanes)*laneGap
		laneY[name] = y
		p.Lanes = append(p.Lanes, svgLane{Y: y, Label: name, Color: color})
	}
	for _, m := range all {
		if m.lane == "attack chain" {
			addLane(m.lane, chainColor)
			break
		}
	}
	for _, sev := range severityOrder {
		for _, m := range all {
			if m.lane == laneOf(sev) {
				addLane(m.lane, sevColor[sev])
				break
			}
		}
	}
	for _, m := range all {
		if m.t.Before(lo) || m.t.After(hi) {
			p.Outside++
			continue
		}
		p.Marks = append(p.Marks, svgMark{X: x(m.t), Y: laneY[m.lane], Color: m.color, Label: m.label})
	}
	p.AxisY = laneTop + len(p.Lanes)*laneGap
	p.Height = p.AxisY + 62

	// Ticks: the smallest spacing giving at most 8 intervals, on round instants.
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	first := lo.Truncate(step)
	if first.Before(lo) {
		first = first.Add(step)
	}
	layout := "15:04:05"
	switch {
	case step < time.Second:
		layout = "15:04:05.000"
	case step >= 24*time.Hour:
		layout = "2006-01-02"
	case step >= time.Minute:
		layout = "15:04"
	}
	for t, i := first, 0; !t.After(hi) && i < 20; t, i = t.Add(step), i+1 {
		p.Ticks = append(p.Ticks, svgTick{X: x(t), Label: t.UTC().Format(layout)})
	}

	if len(r.Threads) > 0 {
		if f := r.Threads[0].FirstAnomalous(); f != nil && !f.Time.Before(lo) && !f.Time.After(hi) {
			fx := x(f.Time)
			left := fx > (plotLeft+plotRight)/2
			p.First = &svgPin{X: fx, Left: left, Label: "first anomalous event " + f.Time.UTC().Format("15:04:05"),
				Title: "first anomalous event, " + timeUTC(f.Time) + ": " + cut(f.Text, 300)}
			p.Golden = &svgPin{X: fx, Left: left, Label: "last known-good: before " + f.Time.UTC().Format("15:04:05"),
				Title: "golden point: the last known-good state is just before " + timeUTC(f.Time)}
		}
	}
	return p
}

// String is for test failures.
func (p *picture) String() string {
	return fmt.Sprintf("picture %dx%d, %d marks, %d ticks, %d outside", p.Width, p.Height, len(p.Marks), len(p.Ticks), p.Outside)
}
