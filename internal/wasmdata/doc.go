// Package wasmdata joins the data segments of a WebAssembly module.
//
// Go's wasm linker writes a module's initialized memory as one data segment
// per run of non-zero bytes: the exec mixin has 75,595 of them, a median 2
// bytes long, 18 bytes apart. wazero decodes each, and evaluates each offset
// and copies each at instantiation: about a tenth of a warm `mixbox run`.
// Merge joins runs of them into a few segments, filling the gaps with the
// zeros memory already holds:
//
//	res, err := wasmdata.Merge(bin)
//	// res.Bin: the same module, res.Before → res.After segments
//
// `make wasm` merges the built-in exec module after linking
// (host/internal/cmd/postlink). The host does not merge at load: joining the
// exec module's segments costs more CPU than it saves in one process
// (BenchmarkMerge against BenchmarkInstantiate).
//
// # Notes
//
// A merged module behaves the same: only active segments of memory 0 at
// constant offsets are joined, in their order, each gap no longer than
// MaxGap and written by no other segment; memory is zero where the gaps are.
// A module with a passive segment or a data count section (which memory.init
// and data.drop, which name segments by index, need) is left as it is.
// Merge does not validate the module: it parses only what it rewrites, and
// bytes it cannot parse are an error for the caller to ignore or report.
package wasmdata
