package compcache

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/tetratelabs/wazero"
)

// hook returns a wazero compilation cache whose file cache is c. wazero
// v1.12 keeps the file cache in the unexported field fileCache of the
// struct behind wazero.CompilationCache and offers no way to supply one;
// the field is set here when it exists with an interface type that c
// implements (Get, Add, Delete over a [32]byte key), before any runtime
// uses the cache. Anything else is ErrNoHook.
func hook(c *Cache) (wazero.CompilationCache, error) {
	wc := wazero.NewCompilationCache()
	v := reflect.ValueOf(wc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %T is not a pointer to a struct", ErrNoHook, wc)
	}
	f := v.Elem().FieldByName("fileCache")
	if !f.IsValid() || f.Kind() != reflect.Interface {
		return nil, fmt.Errorf("%w: %T has no file cache field", ErrNoHook, wc)
	}
	if !reflect.TypeOf(c).Implements(f.Type()) {
		return nil, fmt.Errorf("%w: its file cache interface %s is not Get/Add/Delete", ErrNoHook, f.Type())
	}
	if !f.IsNil() {
		return nil, fmt.Errorf("%w: the in-memory cache already has a file cache", ErrNoHook)
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(c))
	return wc, nil
}
