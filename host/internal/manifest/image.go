package manifest

import (
	"crypto/md5" //nolint:gosec // Porter's temporary image tag is an md5, not a security measure
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
)

// imageRef is a parsed OCI image reference, normalized as Docker does.
type imageRef struct {
	domain string // e.g. "docker.io", "localhost:5000"
	path   string // e.g. "library/nginx"
	tag    string
	digest string
}

// parseImageRef parses an image reference like Docker's ParseNormalizedNamed.
func parseImageRef(s string) (imageRef, error) {
	var r imageRef
	name := s
	if i := strings.Index(name, "@"); i >= 0 {
		name, r.digest = name[:i], name[i+1:]
		if !strings.Contains(r.digest, ":") || strings.HasSuffix(r.digest, ":") {
			return r, fmt.Errorf("%w %q: bad digest", ErrInvalidImageReference, s)
		}
	}
	if i := strings.LastIndex(name, ":"); i >= 0 && !strings.Contains(name[i+1:], "/") {
		name, r.tag = name[:i], name[i+1:]
		if r.tag == "" {
			return r, fmt.Errorf("%w %q: empty tag", ErrInvalidImageReference, s)
		}
	}
	if name == "" {
		return r, fmt.Errorf("%w %q: empty name", ErrInvalidImageReference, s)
	}
	first, rest, hasSlash := strings.Cut(name, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.domain, r.path = first, rest
	} else {
		r.domain, r.path = "docker.io", name
	}
	if r.domain == "index.docker.io" {
		r.domain = "docker.io"
	}
	if r.domain == "docker.io" && !strings.Contains(r.path, "/") {
		r.path = "library/" + r.path
	}
	if r.path == "" || strings.ToLower(r.path) != r.path || strings.Contains(r.path, "//") ||
		strings.HasSuffix(r.path, "/") {
		return r, fmt.Errorf("%w %q: the repository must be lower case", ErrInvalidImageReference, s)
	}
	return r, nil
}

// familiarName is the repository as Docker shows it: docker.io/library/nginx => nginx.
func (r imageRef) familiarName() string {
	if r.domain == "docker.io" {
		if p, ok := strings.CutPrefix(r.path, "library/"); ok && !strings.Contains(p, "/") {
			return p
		}
		return r.path
	}
	return r.domain + "/" + r.path
}

// String is the familiar form of the whole reference.
func (r imageRef) String() string {
	s := r.familiarName()
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// ComputedInstallerImage is the invocation image name Porter derives from
// the manifest when bundle.json gives no digest:
// <repository>:porter-<md5 of the bundle reference>, where the bundle
// reference is `reference:` or <registry>/<name>, tagged v<version> when it
// has no tag.
func (m *Manifest) ComputedInstallerImage() (string, error) {
	refStr := m.Reference
	if refStr == "" {
		if m.Registry == "" {
			return "", errors.New("compute the installer image: the manifest has neither registry nor reference")
		}
		repo, err := parseImageRef(path.Join(m.Registry, m.Name))
		if err != nil {
			return "", fmt.Errorf("compute the installer image: bundle reference: %w", err)
		}
		refStr = repo.familiarName()
	}
	ref, err := parseImageRef(refStr)
	if err != nil {
		return "", fmt.Errorf("compute the installer image: bundle reference: %w", err)
	}
	if ref.tag == "" {
		if ref.digest != "" {
			return "", fmt.Errorf("compute the installer image: bundle reference %q must use a tag, not a digest", refStr)
		}
		ref.tag = "v" + strings.ReplaceAll(m.Version, "+", "_")
	}
	sum := md5.Sum([]byte(ref.String())) //nolint:gosec // see import
	return ref.familiarName() + ":porter-" + hex.EncodeToString(sum[:]), nil
}

// InstallerImage returns the value of bundle.installerImage: the first
// docker invocation image of b that has a digest, as image@digest; else the
// image computed from the manifest (ComputedInstallerImage), else the first
// invocation image of b as given. relocation (may be nil) then maps it.
func (m *Manifest) InstallerImage(b *Bundle, relocation map[string]string) string {
	img, err := m.ComputedInstallerImage()
	if err != nil {
		img = ""
		if b != nil && len(b.InvocationImages) > 0 {
			img = b.InvocationImages[0].Image
		}
	}
	if b != nil {
		for _, ii := range b.InvocationImages {
			if ii.Digest == "" || ii.ImageType != "docker" {
				continue
			}
			ref, err := parseImageRef(ii.Image)
			if err != nil {
				continue
			}
			ref.digest = ii.Digest
			img = ref.String()
			break
		}
	}
	if r, ok := relocation[img]; ok {
		img = r
	}
	return img
}

// ResolveImages returns the manifest's images updated from bundle.json and
// the relocation mapping (both may be nil), as Porter's ResolveImages does:
// repository becomes the familiar name of the bundle.json image, digest and
// tag come from it, and a reference with neither gets tag "latest".
func (m *Manifest) ResolveImages(b *Bundle, relocation map[string]string) (map[string]Image, error) {
	out := make(map[string]Image, len(m.Images))
	for alias, img := range m.Images {
		out[alias] = img
	}
	if len(out) == 0 || b == nil {
		return out, nil
	}
	reverse := map[string]string{}
	for alias, bi := range b.Images {
		img, ok := out[alias]
		if !ok {
			return nil, fmt.Errorf("resolve images: image %s of bundle.json is not in the manifest's images", alias)
		}
		img.Digest = bi.Digest
		if err := resolveImage(&img, bi.Image); err != nil {
			return nil, fmt.Errorf("resolve image %s from bundle.json: %w", alias, err)
		}
		out[alias] = img
		reverse[bi.Image] = alias
	}
	for orig, relocated := range relocation {
		alias, ok := reverse[orig]
		if !ok {
			continue
		}
		img := out[alias]
		if err := resolveImage(&img, relocated); err != nil {
			return nil, fmt.Errorf("resolve image %s from the relocation mapping: %w", alias, err)
		}
		out[alias] = img
	}
	return out, nil
}

func resolveImage(img *Image, refStr string) error {
	ref, err := parseImageRef(refStr)
	if err != nil {
		return err
	}
	img.Repository = ref.familiarName()
	if ref.digest != "" {
		img.Digest = ref.digest
	}
	if ref.tag != "" {
		img.Tag = ref.tag
	}
	if ref.tag == "" && ref.digest == "" {
		img.Tag = "latest"
	}
	return nil
}
