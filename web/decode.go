package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

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

// decodeRecord decodes one record strictly: an unknown field or a value of
// the wrong type is an EINVALID error naming every such field by its full
// path ("licences[1].expression"), like Validate does.
func decodeRecord(b []byte) (*commons.Record, error) {
	rec, err := commons.DecodeRecord(bytes.NewReader(b))
	if err == nil {
		return rec, nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&doc) == nil {
		var fields []commons.FieldError
		checkJSON(&fields, "", doc, reflect.TypeFor[commons.Record]())
		if len(fields) > 0 {
			return nil, &commons.Error{Code: commons.EINVALID, Message: "the record is invalid", Fields: fields}
		}
	}
	if commons.ErrorCode(err) == commons.EINTERNAL {
		return nil, commons.Errorf(commons.EINVALID, "The body is not a valid record: %v.", err)
	}
	return nil, err
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
)

// checkJSON walks a generic JSON value v beside the Go type t that it is
// meant to decode into, and records every member t does not know and every
// value of the wrong JSON type, with its path. It mirrors encoding/json:
// null fits anything and object keys match field names case-insensitively.
func checkJSON(out *[]commons.FieldError, path string, v any, t reflect.Type) {
	if v == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(want string) {
		*out = append(*out, commons.FieldError{Field: orDocument(path), Message: fmt.Sprintf("must be %s, not %s", want, jsonKind(v))})
	}
	switch {
	case t == timeType:
		s, ok := v.(string)
		if !ok {
			bad("a date-time string")
		} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			*out = append(*out, commons.FieldError{Field: orDocument(path), Message: fmt.Sprintf("%q is not an RFC 3339 date-time", s)})
		}
		return
	case reflect.PointerTo(t).Implements(unmarshalType):
		return // decodes itself; its own error is reported as is
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for key, val := range obj {
			f, ok := fieldByJSONName(t, key)
			if !ok {
				*out = append(*out, commons.FieldError{Field: join(path, key), Message: "is not a known field"})
				continue
			}
			checkJSON(out, join(path, key), val, f.Type)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for key, val := range obj {
			checkJSON(out, join(path, key), val, t.Elem())
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		for i, val := range arr {
			checkJSON(out, fmt.Sprintf("%s[%d]", path, i), val, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			bad("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			bad("an integer")
		} else if _, err := n.Int64(); err != nil {
			bad("an integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			bad("a number")
		}
	}
}

// fieldByJSONName finds the struct field that encoding/json would decode
// the object key into: exact tag name first, then case-insensitively.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orDocument(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// jsonKind names the JSON type of a generic value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
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
