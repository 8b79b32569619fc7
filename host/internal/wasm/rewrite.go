package wasm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// globalExportPrefix starts the names under which a reactor's mutable
// globals are exported to the host, which restores them before every step
// (wazero lets the host set only exported globals).
const globalExportPrefix = "mixbox.reactor.global."

// exportGlobals returns bin with every mutable global it defines also
// exported, and the names it gave them, in global index order. The names use
// globalExportPrefix plus the global's index, with more underscores after
// the prefix as long as the module already uses the prefix itself. The
// module must have an export section (a reactor exports mixbox_step).
func exportGlobals(bin []byte, p *parsed) ([]byte, []string, error) {
	var idx []uint32
	for i, g := range p.globals {
		if g.mutable {
			idx = append(idx, uint32(i))
		}
	}
	if len(idx) == 0 {
		return bin, nil, nil
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
	return out, names, nil
}
