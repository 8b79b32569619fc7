package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// output is where -o writes: the image goes to a temporary sibling of the
// destination first and is renamed into place only when complete, so a
// failed build leaves nothing that looks like an image.
type output struct {
	spec    string // as given
	kind    string // "oci" or "tar"
	dest    string
	staging string // the temporary sibling
}

// prepareOutput checks -o and creates its temporary sibling now, so an
// unwritable destination fails before the build does any work.
func prepareOutput(spec string, platforms int) (*output, error) {
	kind, dest, ok := strings.Cut(spec, ":")
	if !ok || dest == "" || (kind != "oci" && kind != "tar") {
		return nil, hint(bad(fmt.Errorf("output %q: want oci:PATH or tar:PATH", spec)),
			"oci:DIR writes an OCI image layout, tar:FILE a tarball for docker load")
	}
	if kind == "tar" && platforms > 1 {
		return nil, hint(bad(fmt.Errorf("output %s: a tarball holds one platform's image, and %d platforms were asked for", spec, platforms)),
			"write the index as an OCI layout (oci:DIR) or push it, or build one platform")
	}
	o := &output{spec: spec, kind: kind, dest: filepath.Clean(dest)}
	fi, err := os.Stat(o.dest)
	switch {
	case err == nil && kind == "tar" && fi.IsDir():
		return nil, bad(fmt.Errorf("output %s: %s is a directory", spec, o.dest))
	case err == nil && kind == "oci" && !replaceableLayout(o.dest, fi):
		return nil, hint(bad(fmt.Errorf("output %s: %s exists and is not an OCI image layout", spec, o.dest)),
			"remove it or pick another path: mixbox only replaces an earlier OCI layout or an empty directory")
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, hint(fmt.Errorf("write %s: %w", spec, err), "the output must be a path in an existing directory you can write to")
	}
	parent, base := filepath.Dir(o.dest), filepath.Base(o.dest)
	if kind == "oci" {
		o.staging, err = os.MkdirTemp(parent, "."+base+".tmp-")
	} else {
		var f *os.File
		if f, err = os.CreateTemp(parent, "."+base+".tmp-"); err == nil {
			o.staging = f.Name()
			err = f.Close()
		}
	}
	if err != nil {
		return nil, hint(fmt.Errorf("write %s: %w", spec, err),
			"the output must be a path in an existing directory you can write to")
	}
	return o, nil
}

// replaceableLayout reports whether an existing -o oci: destination may be
// replaced: an earlier OCI layout, or an empty directory.
func replaceableLayout(dir string, fi os.FileInfo) bool {
	if !fi.IsDir() {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		return true
	}
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// abort removes the temporary sibling.
func (o *output) abort() {
	if o != nil && o.staging != "" {
		_ = os.RemoveAll(o.staging) // only our temporary files
		o.staging = ""
	}
}

// commit writes the image or index, named tag, and renames it into place.
func (o *output) commit(img v1.Image, idx v1.ImageIndex, tag name.Tag) error {
	defer o.abort()
	if err := o.write(img, idx, tag); err != nil {
		return fmt.Errorf("write %s: %w", o.spec, err)
	}
	if err := o.rename(); err != nil {
		return fmt.Errorf("write %s: %w", o.spec, err)
	}
	return nil
}

func (o *output) write(img v1.Image, idx v1.ImageIndex, tag name.Tag) error {
	if o.kind == "tar" {
		return tarball.WriteToFile(o.staging, tag, img)
	}
	p, err := layout.Write(o.staging, empty.Index)
	if err != nil {
		return err
	}
	ann := layout.WithAnnotations(map[string]string{refNameAnnotation: tag.String()})
	if idx != nil {
		return p.AppendIndex(idx, ann)
	}
	return p.AppendImage(img, ann)
}

// rename puts the staging copy at dest; an earlier layout there is moved
// aside first and removed once the new one is in place.
func (o *output) rename() error {
	if o.kind == "tar" {
		if err := os.Chmod(o.staging, 0o644); err != nil {
			return err
		}
		return os.Rename(o.staging, o.dest)
	}
	// layout.Write makes every file 0755; a layout holds data.
	err := filepath.WalkDir(o.staging, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	if err != nil {
		return err
	}
	var old string
	if _, err := os.Stat(o.dest); err == nil {
		old = o.staging + "-old"
		if err := os.Rename(o.dest, old); err != nil {
			return err
		}
	}
	if err := os.Rename(o.staging, o.dest); err != nil {
		if old != "" {
			_ = os.Rename(old, o.dest) // put the earlier layout back
		}
		return err
	}
	o.staging = ""
	if old != "" {
		_ = os.RemoveAll(old) // the replaced layout
	}
	return nil
}
