package wasm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/wasmabi"
)

// Import is one import of a module.
type Import struct {
	Module  string   `json:"module"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Params  []string `json:"params,omitempty"`
	Results []string `json:"results,omitempty"`
}

// String returns the import as "module.name".
func (i Import) String() string { return i.Module + "." + i.Name }

// Export is one export of a module.
type Export struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Info describes a module for `mixbox mixin inspect`.
type Info struct {
	// ABI is the mixbox ABI the module imports (wasmabi.Module), or the one
	// its metadata declares when it imports no host function.
	ABI string `json:"abi,omitempty"`
	// Size is the module's size in bytes.
	Size int `json:"size"`
	// SHA256 is the hex sha256 of the module's bytes.
	SHA256 string `json:"sha256"`
	// Kind is wasmabi.KindCommand or wasmabi.KindReactor (abi-v1 §1a);
	// empty when the module exports neither _start nor mixbox_step.
	Kind string `json:"kind,omitempty"`
	// MemoryMin and MemoryMax are the declared bounds of the module's
	// memory, in bytes; MemoryMax is -1 when none is declared.
	MemoryMin int64    `json:"memory_min"`
	MemoryMax int64    `json:"memory_max"`
	Imports   []Import `json:"imports"`
	Exports   []Export `json:"exports"`
	// Metadata is the mixbox.mixin custom section, nil when absent.
	Metadata *wasmabi.Metadata `json:"metadata,omitempty"`
	// Exec says whether the module can run host commands: it imports
	// mixbox_v1.exec. A module that imports no mixbox_v1 function at all
	// ("abi: none", see NoABI) is a plain WASI program: it runs, but a
	// command it starts fails, as WASI has no way to start one.
	Exec bool `json:"exec"`
	// Accepted says whether this host would run the module; Reason says why
	// not.
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
}

// hostSigs maps import module → function name → "(params) -> (results)"
// signature of everything a guest may import.
type hostSigs map[string]map[string]string

func sigString(params, results []string) string {
	return "(" + strings.Join(params, ", ") + ") -> (" + strings.Join(results, ", ") + ")"
}

func defSig(d api.FunctionDefinition) string {
	names := func(ts []api.ValueType) []string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = api.ValueTypeName(t)
		}
		return out
	}
	return sigString(names(d.ParamTypes()), names(d.ResultTypes()))
}

// mixboxSigs returns the signatures of the mixbox_v1 functions.
func mixboxSigs() map[string]string {
	out := map[string]string{}
	for name, n := range wasmabi.Funcs() {
		out[name] = sigString(slices.Repeat([]string{"i32"}, n), []string{"i32"})
	}
	return out
}

// wasiSigs returns the signatures of the WASI preview 1 functions wazero
// provides, compiled (not instantiated) in rt.
func wasiSigs(ctx context.Context, rt wazero.Runtime) (map[string]string, error) {
	cm, err := wasi_snapshot_preview1.NewBuilder(rt).Compile(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile %s host module: %w", wasmabi.WASIModule, err)
	}
	defer func() { _ = cm.Close(ctx) }() // nothing is instantiated from it
	out := map[string]string{}
	for name, d := range cm.ExportedFunctions() {
		out[name] = defSig(d)
	}
	return out, nil
}

// checkModule parses bin, whose sha256 is sum, and applies every check of
// abi-v1 §1 and §8.10. It
// returns the parsed module and its Info (Accepted set) even when a check
// fails, unless the bytes do not parse at all.
func checkModule(name, version string, bin []byte, sum [32]byte, sigs hostSigs) (*parsed, Info, error) {
	info := Info{Size: len(bin), SHA256: hex.EncodeToString(sum[:]), MemoryMax: -1}
	p, err := parseModule(bin)
	if err != nil {
		err = moduleErr(name, err)
		info.Reason = err.Error()
		return nil, info, err
	}
	info.Imports, info.Exports = p.imports, p.exports
	if info.Imports == nil {
		info.Imports = []Import{}
	}
	if info.Exports == nil {
		info.Exports = []Export{}
	}
	if p.hasMem {
		info.MemoryMin = int64(p.memMin) * pageSize
		if p.hasMax {
			info.MemoryMax = int64(p.memMax) * pageSize
		}
	}

	var problems []string
	var causes []error
	add := func(cause error, msg string) {
		problems = append(problems, msg)
		if !slices.Contains(causes, cause) {
			causes = append(causes, cause)
		}
	}

	meta, err := readMetadata(p)
	if err != nil {
		add(ErrMetadata, err.Error())
	}
	info.Metadata = meta

	info.Kind = checkExports(p, add)

	for _, imp := range p.imports {
		funcs, known := sigs[imp.Module]
		switch {
		case !known:
			add(ErrImportModule, fmt.Sprintf("it imports %s from module %q; a mixin may import only functions of %s and %s",
				imp, imp.Module, wasmabi.WASIModule, wasmabi.Module))
			continue
		case imp.Kind != "func":
			add(ErrImportModule, fmt.Sprintf("it imports %s as a %s; a mixin may import only functions of %s and %s",
				imp, imp.Kind, wasmabi.WASIModule, wasmabi.Module))
			continue
		}
		if imp.Module == wasmabi.Module {
			info.ABI = wasmabi.Module
			info.Exec = info.Exec || imp.Name == wasmabi.FuncExec
		}
		want, ok := funcs[imp.Name]
		if !ok {
			if imp.Module == wasmabi.Module {
				add(ErrUnknownFunction, fmt.Sprintf("mixin %s needs %s, which this mixbox (%s) does not provide; upgrade mixbox",
					name, imp, version))
			} else {
				add(ErrUnknownFunction, fmt.Sprintf("it imports %s, which is not a WASI preview 1 function this mixbox (%s) provides",
					imp, version))
			}
			continue
		}
		if got := sigString(imp.Params, imp.Results); got != want {
			add(ErrSignature, fmt.Sprintf("it imports %s with signature %s; expected %s", imp, got, want))
		}
	}
	if info.ABI == "" && meta != nil {
		info.ABI = meta.ABI
	}
	if meta != nil && meta.ABI != "" && meta.ABI != wasmabi.Module {
		add(ErrIncompatible, fmt.Sprintf("its metadata declares abi %q; this mixbox (%s) provides %s", meta.ABI, version, wasmabi.Module))
	}

	if len(problems) > 0 {
		msg := problems[0]
		if len(problems) > 1 || !strings.HasPrefix(msg, "mixin ") {
			msg = fmt.Sprintf("mixin %s is rejected: %s", name, strings.Join(problems, "; "))
		}
		err := &incompatError{msg: ErrIncompatible.Error() + ": " + msg, causes: causes}
		info.Reason = err.Error()
		return p, info, err
	}
	info.Accepted = true
	return p, info, nil
}

// checkExports applies the export rules of abi-v1 §1, §1a and §8.10 and
// returns the module's kind: a function mixbox_step makes it a reactor
// (whether or not it also exports _start), a function _start a command.
func checkExports(p *parsed, add func(cause error, msg string)) string {
	const expected = "expected a WASI preview 1 command module exporting _start and memory, or a reactor exporting mixbox_step and memory (abi-v1 §1a)"
	const (
		noResult = "() -> ()"
		stepSig  = "() -> (i32)"
	)
	fn := func(name, want string, sigErr error) (present bool) {
		got, idx, ok := p.export(name)
		desc := "with no parameters and no results"
		if want == stepSig {
			desc = "with no parameters and one i32 result, () -> i32"
		}
		switch {
		case !ok:
			return false
		case got.Kind != "func":
			add(ErrMissingExport, fmt.Sprintf("it exports %s as a %s; %s must be a function %s", name, got.Kind, name, desc))
		default:
			params, results := p.funcSig(idx)
			if sig := sigString(params, results); sig != want {
				add(sigErr, fmt.Sprintf("it exports %s with signature %s; %s must be a function %s", name, sig, name, desc))
			}
		}
		return true
	}
	hasStart := fn(wasmabi.ExportStart, noResult, ErrStartSignature)
	hasStep := fn(wasmabi.ExportStep, stepSig, ErrStepSignature)
	kind := ""
	switch {
	case hasStep:
		kind = wasmabi.KindReactor
		fn(wasmabi.ExportInitialize, noResult, ErrInitializeSignature)
		fn(wasmabi.ExportEnvPerStep, noResult, ErrEnvPerStepSignature)
	case hasStart:
		kind = wasmabi.KindCommand
	default:
		msg := "it exports neither _start nor mixbox_step; " + expected
		if _, _, ok := p.export(wasmabi.ExportInitialize); ok {
			msg += "; it exports _initialize, so it looks like a reactor without mixbox_step: a Go mixin on wasmabi/guest builds as one with -buildmode=c-shared -tags mixbox_reactor"
		}
		add(ErrMissingExport, msg)
	}
	got, _, ok := p.export(wasmabi.ExportMemory)
	switch {
	case !ok && kind == "":
		add(ErrMissingExport, `it does not export memory "memory"`)
	case !ok:
		add(ErrMissingExport, `it does not export memory "memory"; `+expected)
	case got.Kind != "memory":
		add(ErrMissingExport, fmt.Sprintf("it exports memory as a %s; memory must be the module's linear memory", got.Kind))
	}
	return kind
}

// NoABI reports whether the module imports no mixbox_v1 function: built
// without the mixbox guest SDK, it cannot run commands, write outputs or
// mask values ("abi: none"), whatever its metadata declares.
func (i Info) NoABI() bool {
	return !slices.ContainsFunc(i.Imports, func(imp Import) bool { return imp.Module == wasmabi.Module })
}

// moduleErr turns a parse error into the user-facing module check error.
func moduleErr(name string, err error) error {
	var what string
	switch {
	case errors.Is(err, ErrComponent):
		what = "is a WebAssembly component; expected a WASI preview 1 core module (build for wasm32-wasip1 or GOOS=wasip1 GOARCH=wasm, not wasip2)"
	case errors.Is(err, ErrNotWasm):
		what = "is not a WebAssembly module; expected a WASI preview 1 core module (.wasm)"
	case errors.Is(err, ErrVersion):
		what = "has an unsupported binary version; expected a WASI preview 1 core module (version 1)"
	case errors.Is(err, ErrTruncated):
		what = "is truncated; expected a complete WASI preview 1 core module (copy or rebuild it)"
	default:
		what = "is malformed; expected a valid WASI preview 1 core module (rebuild it)"
	}
	return &incompatError{
		msg:    fmt.Sprintf("%s: mixin %s %s: %s", ErrIncompatible.Error(), name, what, err.Error()),
		causes: []error{err},
	}
}

// readMetadata decodes the last mixbox.mixin custom section, if any.
func readMetadata(p *parsed) (*wasmabi.Metadata, error) {
	var raw []byte
	found := false
	for _, s := range p.sections {
		if s.id == secCustom && s.name == wasmabi.SectionName {
			raw, found = s.payload, true
		}
	}
	if !found {
		return nil, nil
	}
	m, err := decodeMetadata(raw)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeMetadata decodes YAML or JSON metadata.
func decodeMetadata(raw []byte) (wasmabi.Metadata, error) {
	var m wasmabi.Metadata
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return wasmabi.Metadata{}, fmt.Errorf("its %s section is not YAML or JSON metadata: %w", wasmabi.SectionName, err)
	}
	return m, nil
}

// Inspect describes bin for `mixbox mixin inspect`, with whether this host
// would accept it (Info.Accepted, Info.Reason). version is mixbox's version,
// quoted in messages. The returned error is non-nil only when the host
// cannot judge the module; a rejected module is not an error here.
func Inspect(ctx context.Context, version string, bin []byte) (Info, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithCloseOnContextDone(true).WithMemoryLimitPages(1))
	defer func() { _ = rt.Close(ctx) }() // nothing ran in it
	wasi, err := wasiSigs(ctx, rt)
	if err != nil {
		return Info{}, fmt.Errorf("inspect module: %w", err)
	}
	name := "module"
	sum := sha256.Sum256(bin)
	_, info, _ := checkModule(name, version, bin, sum, hostSigs{wasmabi.WASIModule: wasi, wasmabi.Module: mixboxSigs()})
	if info.Metadata != nil && info.Metadata.Name != "" {
		_, info, _ = checkModule(info.Metadata.Name, version, bin, sum, hostSigs{wasmabi.WASIModule: wasi, wasmabi.Module: mixboxSigs()})
	}
	return info, nil
}

// Pack returns a copy of bin with its mixbox.mixin custom section replaced
// by meta (YAML or JSON metadata, kept byte for byte). Existing mixbox.mixin
// sections are dropped and the new one is appended at the end.
func Pack(bin, meta []byte) ([]byte, error) {
	if _, err := decodeMetadata(meta); err != nil {
		return nil, fmt.Errorf("pack module: %w: %w", ErrMetadata, err)
	}
	secs, err := splitSections(bin)
	if err != nil {
		return nil, fmt.Errorf("pack module: %w", moduleErr("module", err))
	}
	out := make([]byte, 0, len(bin)+len(meta)+32)
	out = append(out, bin[:8]...)
	for _, s := range secs {
		if s.id == secCustom && s.name == wasmabi.SectionName {
			continue
		}
		out = append(out, bin[s.start:s.end]...)
	}
	name := []byte(wasmabi.SectionName)
	content := appendULEB(nil, uint64(len(name)))
	content = append(content, name...)
	content = append(content, meta...)
	out = append(out, secCustom)
	out = appendULEB(out, uint64(len(content)))
	return append(out, content...), nil
}
