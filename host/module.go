package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/wasmabi"
)

// ModuleInfo describes a wasm mixin for `mixbox mixin inspect`.
type ModuleInfo struct {
	// ABI is the mixbox ABI the module imports, e.g. "mixbox_v1".
	ABI string `json:"abi,omitempty"`
	// Kind is "command" (exports _start: a fresh instance per step) or
	// "reactor" (exports mixbox_step: one instance per run, restored before
	// every step; abi-v1 §1a); empty when it exports neither.
	Kind string `json:"kind,omitempty"`
	// Size is the module's size in bytes; SHA256 its hex digest.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// MemoryMin and MemoryMax are the declared memory bounds in bytes
	// (MemoryMax -1: none declared).
	MemoryMin int64 `json:"memory_min"`
	MemoryMax int64 `json:"memory_max"`
	// Imports and Exports list the module's imports and exports.
	Imports []ModuleImport `json:"imports"`
	Exports []ModuleExport `json:"exports"`
	// Metadata is the mixbox.mixin custom section, nil when absent.
	Metadata *wasmabi.Metadata `json:"metadata,omitempty"`
	// Exec says whether the module can run host commands (it imports
	// mixbox_v1.exec). A module that imports no mixbox_v1 function runs as
	// a plain WASI program, and every command it starts fails.
	Exec bool `json:"exec"`
	// Accepted says whether this host runs the module; Reason why not.
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
}

// ModuleImport is one import of a module.
type ModuleImport struct {
	Module  string   `json:"module"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Params  []string `json:"params,omitempty"`
	Results []string `json:"results,omitempty"`
}

// ModuleExport is one export of a module.
type ModuleExport struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Inspect describes a wasm module and says whether this host accepts it. A
// module the host refuses is not an error: Accepted is false and Reason says
// why.
func Inspect(ctx context.Context, bin []byte) (ModuleInfo, error) {
	info, err := wasm.Inspect(ctx, Version().Version, bin)
	if err != nil {
		return ModuleInfo{}, err
	}
	out := ModuleInfo{
		ABI: info.ABI, Kind: info.Kind, Size: info.Size, SHA256: info.SHA256,
		MemoryMin: info.MemoryMin, MemoryMax: info.MemoryMax,
		Metadata: info.Metadata, Exec: info.Exec, Accepted: info.Accepted, Reason: info.Reason,
	}
	for _, i := range info.Imports {
		out.Imports = append(out.Imports, ModuleImport{Module: i.Module, Name: i.Name, Kind: i.Kind, Params: i.Params, Results: i.Results})
	}
	for _, e := range info.Exports {
		out.Exports = append(out.Exports, ModuleExport{Name: e.Name, Kind: e.Kind})
	}
	return out, nil
}

// Pack returns bin with its mixbox.mixin custom section set to meta (YAML or
// JSON metadata). It fails with ErrUsage for metadata that does not decode
// and ErrIncompatible for bytes that are not a wasm module.
func Pack(bin, meta []byte) ([]byte, error) {
	out, err := wasm.Pack(bin, meta)
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, wasm.ErrMetadata):
		return nil, errkind.WithHint(fmt.Errorf("%w: %w", ErrUsage, err),
			"the metadata is YAML or JSON: name, version, abi: mixbox_v1, capabilities: {exec: [...], env: [...]}")
	default:
		return nil, err // wasm's errors about the module match ErrIncompatible
	}
}
