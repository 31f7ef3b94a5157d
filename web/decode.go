package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/commons-directory/commons"
)

// readBody checks the request's Content-Type against want and reads the
// body, at most MaxBodyBytes of it.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, want string) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != want || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		if want == mediaPatch {
			w.Header().Set("Accept-Patch", mediaPatch)
		}
		if ct == "" {
			ct = "none"
		}
		return nil, commons.Errorf(commons.EUNSUPPORTED, "Content-Type must be %s (UTF-8), not %s.", want, ct)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, commons.Errorf(commons.ETOOLARGE, "The body is larger than the limit of %d bytes.", tooLarge.Limit)
	case err != nil:
		return nil, commons.Errorf(commons.EINVALID, "The body could not be read: %v.", err)
	}
	return b, nil
}

// decodeRecord decodes one record strictly (see commons.DecodeRecord).
func decodeRecord(b []byte) (*commons.Record, error) {
	return commons.DecodeRecord(bytes.NewReader(b))
}

// mergePatch applies an RFC 7396 JSON merge patch to target: members of an
// object patch replace the target's, null deletes, anything else replaces
// the whole value.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
