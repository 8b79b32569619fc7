package wasm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mixbox/mixbox/wasmabi"
)

// globalExportPrefix starts the names under which a reactor's mutable
// globals are exported to the host, which restores them before every step
// (wazero lets the host set only exported globals).
const globalExportPrefix = "mixbox.reactor.global."

// exportGlobals returns bin with every mutable global it defines also
// exported, and the export names of them all, in global index order. A
// global the module exports itself keeps its first export name; the others
// get globalExportPrefix plus the global's index, with more underscores
// after the prefix as long as the module already uses the prefix itself.
// When every one is exported already, bin is returned as it is: no copy
// (the built-in exec module is built so, by make wasm). The module must have
// an export section (a reactor exports mixbox_step).
func exportGlobals(bin []byte, p *parsed) ([]byte, []string, error) {
	own := map[uint32]string{}
	for i, e := range p.exports {
		if _, ok := own[p.exportAt[i]]; !ok && e.Kind == "global" {
			own[p.exportAt[i]] = e.Name
		}
	}
	var idx []uint32
	var all []string
	for i, g := range p.globals {
		if !g.mutable {
			continue
		}
		if name, ok := own[uint32(i)]; ok {
			all = append(all, name)
			continue
		}
		idx = append(idx, uint32(i))
		all = append(all, "") // named below
	}
	if len(idx) == 0 {
		return bin, all, nil
	}
	prefix := globalExportPrefix
	for slices.ContainsFunc(p.exports, func(e Export) bool { return strings.HasPrefix(e.Name, prefix) }) {
		prefix += "_"
	}
	at := slices.IndexFunc(p.sections, func(s section) bool { return s.id == secExport })
	if at < 0 {
		return nil, nil, fmt.Errorf("export globals: %w: no export section", ErrMalformed)
	}
	sec := p.sections[at]
	r := &reader{b: sec.payload}
	n, err := r.u32()
	if err != nil {
		return nil, nil, fmt.Errorf("export globals: %w: bad export section", ErrMalformed)
	}
	names := make([]string, len(idx))
	payload := appendULEB(nil, uint64(n)+uint64(len(idx)))
	payload = append(payload, sec.payload[r.off:]...)
	for i, g := range idx {
		names[i] = prefix + strconv.FormatUint(uint64(g), 10)
		payload = appendULEB(payload, uint64(len(names[i])))
		payload = append(payload, names[i]...)
		payload = append(payload, kindGlobal)
		payload = appendULEB(payload, uint64(g))
	}
	out := make([]byte, 0, len(bin)+len(payload)-len(sec.payload)+8)
	out = append(out, bin[:sec.start]...)
	out = append(out, secExport)
	out = appendULEB(out, uint64(len(payload)))
	out = append(out, payload...)
	out = append(out, bin[sec.end:]...)
	for i, k := 0, 0; i < len(all); i++ {
		if all[i] == "" {
			all[i], k = names[k], k+1
		}
	}
	return out, all, nil
}

// ExportGlobals returns a reactor with its mutable globals exported as Load
// exports them, so that loading it copies nothing: make wasm runs it on the
// built-in exec module (host/internal/cmd/postlink). Any other module, and
// a reactor that exports them already, is returned as it is.
func ExportGlobals(bin []byte) ([]byte, error) {
	p, err := parseModule(bin)
	if err != nil {
		return nil, fmt.Errorf("export globals: %w", err)
	}
	if !slices.ContainsFunc(p.exports, func(e Export) bool { return e.Name == wasmabi.ExportStep && e.Kind == "func" }) {
		return bin, nil
	}
	out, _, err := exportGlobals(bin, p)
	return out, err
}
