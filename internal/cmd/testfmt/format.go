package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json, and cmd/go's
// build-output and build-fail events).
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string // the build a package's fail event points at
}

// pkgRun is what is kept of one package until it finishes.
type pkgRun struct {
	out    []outLine
	failed []string // tests that failed, in order
}

// outLine is one output line and the test that printed it ("" for the
// package itself).
type outLine struct{ test, text string }

// formatter turns events into the per-package lines and the summary.
// It is not safe for concurrent use; runGoTest serialises its lines.
type formatter struct {
	w       io.Writer
	running map[string]*pkgRun
	started []string            // packages in start order, to report unfinished ones
	builds  map[string][]string // build output by ImportPath, until a package claims it
	printed map[string]bool     // build outputs already shown
	ok      int
	failed  int
	names   []string // what failed, for the last line
	stray   int      // lines that were not events
}

func newFormatter(w io.Writer) *formatter {
	return &formatter{
		w:       w,
		running: map[string]*pkgRun{},
		builds:  map[string][]string{},
		printed: map[string]bool{},
	}
}

// line handles one line of go test's stdout or stderr.
func (f *formatter) line(s string) {
	var ev event
	if !strings.HasPrefix(s, "{") || json.Unmarshal([]byte(s), &ev) != nil || ev.Action == "" {
		fmt.Fprintln(f.w, s)
		if !strings.HasPrefix(s, "go: downloading ") && strings.TrimSpace(s) != "" {
			f.stray++
		}
		return
	}
	switch ev.Action {
	case "build-output":
		f.builds[ev.ImportPath] = append(f.builds[ev.ImportPath], strings.TrimSuffix(ev.Output, "\n"))
	case "build-fail":
		if _, ok := f.builds[ev.ImportPath]; !ok {
			f.builds[ev.ImportPath] = nil
		}
	case "start":
		f.pkg(ev.Package)
	case "output":
		p := f.pkg(ev.Package)
		p.out = append(p.out, outLine{test: ev.Test, text: strings.TrimSuffix(ev.Output, "\n")})
	case "fail":
		if ev.Test != "" {
			p := f.pkg(ev.Package)
			p.failed = append(p.failed, ev.Test)
			return
		}
		f.finishPkg(ev)
	case "pass", "skip":
		if ev.Test == "" {
			f.finishPkg(ev)
		}
	}
}

// pkg returns the run of a package, starting it if needed.
func (f *formatter) pkg(name string) *pkgRun {
	p, ok := f.running[name]
	if !ok {
		p = &pkgRun{}
		f.running[name] = p
		f.started = append(f.started, name)
	}
	return p
}

// finishPkg prints a package's line, and on failure the output of its
// failing tests (or of its build).
func (f *formatter) finishPkg(ev event) {
	p := f.pkg(ev.Package)
	delete(f.running, ev.Package)
	switch ev.Action {
	case "skip":
		fmt.Fprintf(f.w, "?     %s  [no test files]\n", ev.Package)
		return
	case "pass":
		f.ok++
		fmt.Fprintf(f.w, "ok    %s  %.2fs\n", ev.Package, ev.Elapsed)
		return
	}
	f.failed++
	if ev.FailedBuild != "" {
		fmt.Fprintf(f.w, "FAIL  %s  [build failed]\n", ev.Package)
		f.printBuild(ev.FailedBuild)
		f.names = append(f.names, fmt.Sprintf("build failed (%s)", ev.Package))
		return
	}
	fmt.Fprintf(f.w, "FAIL  %s  %.2fs\n", ev.Package, ev.Elapsed)
	f.printFailures(ev.Package, p)
}

// printBuild prints a build's output once; later packages that failed on
// the same build point at it.
func (f *formatter) printBuild(importPath string) {
	if f.printed[importPath] {
		fmt.Fprintf(f.w, "      (the build output of %s is above)\n", importPath)
		return
	}
	for _, l := range f.builds[importPath] {
		fmt.Fprintf(f.w, "      %s\n", l)
	}
	delete(f.builds, importPath)
	f.printed[importPath] = true
}

// printFailures prints, in order, the lines of the failing tests and of the
// package itself, and records the failing tests that have no failing
// subtest (or the package, when no test failed).
func (f *formatter) printFailures(pkg string, p *pkgRun) {
	failed := map[string]bool{}
	for _, t := range p.failed {
		failed[t] = true
	}
	for _, l := range p.out {
		if (l.test == "" || failed[l.test]) && !noise(l.text, pkg) {
			fmt.Fprintln(f.w, l.text)
		}
	}
	leaves := 0
	for _, t := range p.failed {
		if !hasFailedSubtest(t, p.failed) {
			f.names = append(f.names, fmt.Sprintf("%s (%s)", t, pkg))
			leaves++
		}
	}
	if leaves == 0 {
		f.names = append(f.names, fmt.Sprintf("outside any test (%s)", pkg))
	}
}

// noise reports whether a line says nothing the FAIL line and the failing
// tests' own lines do not: go test's run markers and the package trailer.
func noise(s, pkg string) bool {
	for _, p := range []string{"=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return s == "FAIL" || s == "PASS" || strings.HasPrefix(s, "FAIL\t"+pkg+"\t") || strings.HasPrefix(s, "ok  \t"+pkg+"\t")
}

func hasFailedSubtest(test string, failed []string) bool {
	for _, t := range failed {
		if strings.HasPrefix(t, test+"/") {
			return true
		}
	}
	return false
}

// finish reports packages that never finished and build output no package
// claimed, prints the last line, and reports whether anything failed.
// goErr is go test's own exit error, nil when it succeeded or was not run.
func (f *formatter) finish(goErr error) bool {
	for _, name := range f.started {
		p, ok := f.running[name]
		if !ok {
			continue
		}
		delete(f.running, name)
		f.failed++
		fmt.Fprintf(f.w, "FAIL  %s  [did not finish]\n", name)
		for _, l := range p.out {
			if !noise(l.text, name) {
				fmt.Fprintln(f.w, l.text)
			}
		}
		f.names = append(f.names, fmt.Sprintf("did not finish (%s)", name))
	}
	for _, importPath := range slices.Sorted(maps.Keys(f.builds)) {
		f.failed++
		fmt.Fprintf(f.w, "FAIL  %s  [build failed]\n", importPath)
		f.printBuild(importPath)
		f.names = append(f.names, fmt.Sprintf("build failed (%s)", importPath))
	}
	// Packages finish in whatever order go test runs them: name what failed
	// in a fixed order, whatever the timing.
	slices.Sort(f.names)
	if f.stray > 0 {
		f.names = append(f.names, fmt.Sprintf("%d lines that are not test events (above)", f.stray))
	}
	if goErr != nil && len(f.names) == 0 {
		f.names = append(f.names, fmt.Sprintf("go test: %v (above)", goErr))
	}
	summary := fmt.Sprintf("%d packages ok, %d failed", f.ok, f.failed)
	if len(f.names) > 0 {
		summary += ": " + strings.Join(f.names, ", ")
	}
	fmt.Fprintln(f.w, summary)
	return len(f.names) > 0
}
