package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// base is the image a build starts from: one image, or an index of images
// by platform.
type base struct {
	ref    string // as given, for messages
	layout string // the directory of an oci: base, to check its blobs
	img    v1.Image
	idx    v1.ImageIndex
}

// openBase opens --base: oci:PATH (an OCI image layout), tar:PATH (a
// `docker save` tarball) or a registry reference.
func openBase(ctx context.Context, ref string, kc authn.Keychain) (*base, error) {
	b := &base{ref: ref}
	switch {
	case strings.HasPrefix(ref, "oci:"):
		dir := strings.TrimPrefix(ref, "oci:")
		if err := mustExist(dir, "base "+ref); err != nil {
			return nil, err
		}
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			return nil, hint(bad(fmt.Errorf("base %s is not an OCI image layout: %w", ref, err)),
				"an OCI layout is a directory with oci-layout, index.json and blobs/ (skopeo copy, crane pull --format=oci, or scripts/busybox-base.sh)")
		}
		b.layout, b.idx = dir, idx
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, bad(fmt.Errorf("base %s: read index.json: %w", ref, err))
		}
		if len(m.Manifests) == 0 {
			return nil, bad(fmt.Errorf("base %s: the layout's index.json lists no image", ref))
		}
		if len(m.Manifests) == 1 { // one image, or one index, as most tools write a layout
			d := m.Manifests[0]
			switch {
			case d.MediaType.IsImage():
				img, err := idx.Image(d.Digest)
				if err != nil {
					return nil, bad(fmt.Errorf("base %s: %w", ref, err))
				}
				b.img, b.idx = img, nil
			case d.MediaType.IsIndex():
				inner, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return nil, bad(fmt.Errorf("base %s: %w", ref, err))
				}
				b.idx = inner
			}
		}
	case strings.HasPrefix(ref, "tar:"):
		file := strings.TrimPrefix(ref, "tar:")
		if err := mustExist(file, "base "+ref); err != nil {
			return nil, err
		}
		img, err := tarball.ImageFromPath(file, nil)
		if err != nil {
			return nil, hint(bad(fmt.Errorf("base %s is not an image tarball: %w", ref, err)),
				"a tarball base is what `docker save IMAGE` writes, with one image in it")
		}
		b.img = img
	default:
		r, err := name.ParseReference(ref)
		if err != nil {
			return nil, hint(bad(fmt.Errorf("base %q is neither oci:PATH, tar:PATH nor an image reference: %w", ref, err)),
				"give the base as oci:DIR (an OCI layout), tar:FILE (docker save) or REGISTRY/REPO:TAG")
		}
		desc, err := remote.Get(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(kc))
		if err != nil {
			return nil, hint(fmt.Errorf("pull base %s: %w", ref, err),
				"check the reference and the network, and log in if the registry needs it (docker login); or use a local base: oci:DIR or tar:FILE")
		}
		if desc.MediaType.IsIndex() {
			b.idx, err = desc.ImageIndex()
		} else {
			b.img, err = desc.Image()
		}
		if err != nil {
			return nil, fmt.Errorf("pull base %s: %w", ref, err)
		}
	}
	return b, nil
}

// image returns the base image for p, checked to be for p.
func (b *base) image(p Platform) (v1.Image, error) {
	img := b.img
	if img == nil {
		var err error
		if img, err = b.pick(p); err != nil {
			return nil, err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, hint(bad(fmt.Errorf("base %s is broken: read its config: %w", b.ref, err)),
			"re-create or re-pull the base image")
	}
	got := Platform{OS: cfg.OS, Arch: cfg.Architecture, Variant: cfg.Variant}
	if got.Arch != "" && !matches(got, p) {
		return nil, hint(bad(fmt.Errorf("base %s is a %s image, not %s", b.ref, got, p)),
			"use a base for every platform (a multi-platform index), or build for "+got.String()+" only")
	}
	if err := b.checkBlobs(img); err != nil {
		return nil, err
	}
	return img, nil
}

// pick finds p's image in an index base, looking into nested indexes.
func (b *base) pick(p Platform) (v1.Image, error) {
	var have []string
	var find func(idx v1.ImageIndex, depth int) (v1.Image, error)
	find = func(idx v1.ImageIndex, depth int) (v1.Image, error) {
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, bad(fmt.Errorf("base %s is broken: read its index: %w", b.ref, err))
		}
		for _, d := range m.Manifests {
			switch {
			case d.MediaType.IsIndex() && depth < 4:
				inner, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return nil, bad(fmt.Errorf("base %s is broken: %w", b.ref, err))
				}
				if img, err := find(inner, depth+1); img != nil || err != nil {
					return img, err
				}
			case d.MediaType.IsImage():
				got, err := descPlatform(idx, d)
				if err != nil {
					return nil, bad(fmt.Errorf("base %s is broken: %w", b.ref, err))
				}
				if matches(got, p) {
					img, err := idx.Image(d.Digest)
					if err != nil {
						return nil, bad(fmt.Errorf("base %s is broken: %w", b.ref, err))
					}
					return img, nil
				}
				if got.OS != "unknown" {
					have = append(have, got.String())
				}
			}
		}
		return nil, nil
	}
	img, err := find(b.idx, 0)
	if err != nil || img != nil {
		return img, err
	}
	return nil, hint(bad(fmt.Errorf("base %s has no image for %s (it has: %s)", b.ref, p, strings.Join(orNone(have), ", "))),
		"use a base that has every platform, or build only for the platforms it has")
}

// descPlatform is the platform of an index entry: its descriptor's, else its
// config's.
func descPlatform(idx v1.ImageIndex, d v1.Descriptor) (Platform, error) {
	if d.Platform != nil && d.Platform.Architecture != "" {
		return Platform{OS: d.Platform.OS, Arch: d.Platform.Architecture, Variant: d.Platform.Variant}, nil
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return Platform{}, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return Platform{}, err
	}
	return Platform{OS: cfg.OS, Arch: cfg.Architecture, Variant: cfg.Variant}, nil
}

// matches reports whether an image's platform got is p; a missing variant
// is the architecture's default.
func matches(got, p Platform) bool {
	if got.OS != p.OS || got.Arch != p.Arch {
		return false
	}
	norm := func(v string) string {
		if a, ok := arches()[got.Arch]; ok && (v == "" || (got.Arch == "arm64" && v == "v8")) {
			return a.variants[0]
		}
		return v
	}
	return norm(got.Variant) == norm(p.Variant)
}

// checkBlobs checks, for a layout base, that every layer blob is there with
// its size, so a broken base fails before anything is written.
func (b *base) checkBlobs(img v1.Image) error {
	if b.layout == "" {
		return nil
	}
	m, err := img.Manifest()
	if err != nil {
		return bad(fmt.Errorf("base %s is broken: read its manifest: %w", b.ref, err))
	}
	for _, l := range m.Layers {
		p := filepath.Join(b.layout, "blobs", l.Digest.Algorithm, l.Digest.Hex)
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return hint(bad(fmt.Errorf("base %s is broken: layer %s: %w", b.ref, l.Digest, err)),
				"re-create or re-pull the base layout")
		case fi.Size() != l.Size:
			return hint(bad(fmt.Errorf("base %s is broken: layer %s is %d bytes, its manifest says %d", b.ref, l.Digest, fi.Size(), l.Size)),
				"re-create or re-pull the base layout")
		}
	}
	return nil
}

func mustExist(p, what string) error {
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return hint(bad(fmt.Errorf("%s: %s does not exist", what, p)),
				"check the path; an oci: base is a directory, a tar: base a file")
		}
		return bad(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

func orNone(ss []string) []string {
	if len(ss) == 0 {
		return []string{"none"}
	}
	return ss
}
