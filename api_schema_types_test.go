package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// jsonFields lists the JSON names encoding/json uses for struct v's fields
// (embedded structs without a name flattened, "-" left out).
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// schemaFieldCases pairs openapi.json schemas (a component, or an
// operation's request body) with the Go type the handlers encode or the
// strict decoder fills, so optional (omitempty) fields no call returns are
// held to the document too.
var schemaFieldCases = []struct {
	schema string // component name, or "METHOD /path/:param" for a request body
	value  any
}{
	{"Endpoint", tenants.EndpointView{}},
	{"EndpointInput", tenants.EndpointInput{}},
	{"Tenant", tenants.Tenant{}},
	{"TenantCreate", tenants.TenantInput{}},
	{"TenantUpdate", tenants.TenantUpdate{}},
	{"SecretState", tenants.SecretState{}},
	{"HeldLogEntry", tenants.HeldLog{}},
	{"UnroutedGroup", tenants.UnroutedGroup{}},
	{"Correlation", routing.Correlation{}},
	{"MappingVersion", routing.MappingVersion{}},
	{"Mapping", routing.Mapping{}},
	{"Rule", routing.Rule{}},
	{"PreviewResult", routing.PreviewResult{}},
	{"GET /mapping/presets 200 presets", routing.Preset{}},
	{"Source", webhooks.Source{}},
	{"SourceSecret", webhooks.SourceSecret{}},
	{"PATCH /sources/:id", webhooks.SourceUpdate{}},
	{"User", auth.User{}},
	{"APIToken", auth.APIToken{}},
	{"AuditEntry", auth.Entry{}},
}

// TestOpenAPISchemasMatchGoTypes fails when a schema and the Go type behind
// it name different fields, either way.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	sc, err := newSchemaChecker(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range schemaFieldCases {
		t.Run(tc.schema, func(t *testing.T) {
			var schema map[string]any
			if op, prop, ok := strings.Cut(tc.schema, " 200 "); ok {
				list, _ := sc.responseSchema(op, 200)
				schema, _ = list["properties"].(map[string]any)[prop].(map[string]any)["items"].(map[string]any)
			} else if strings.Contains(tc.schema, " ") {
				schema = sc.requestSchema(tc.schema)
			} else {
				schema = map[string]any{"$ref": "#/components/schemas/" + tc.schema}
			}
			flat, _ := sc.flatten(schema)
			props, _ := flat["properties"].(map[string]any)
			if len(props) == 0 {
				t.Fatalf("openapi.json has no properties for %s", tc.schema)
			}
			goFields := jsonFields(reflect.TypeOf(tc.value))
			for _, f := range goFields {
				if _, ok := props[f]; !ok {
					t.Errorf("%T has field %q; openapi.json's %s does not document it", tc.value, f, tc.schema)
				}
			}
			for p := range props {
				if !slices.Contains(goFields, p) {
					t.Errorf("openapi.json's %s documents %q; %T has no such field", tc.schema, p, tc.value)
				}
			}
		})
	}
}

// TestOpenAPIAllOfAgrees fails when the parts of an allOf declare the same
// property with different types: no value can satisfy both, so validators
// and generated clients reject every real answer.
func TestOpenAPIAllOfAgrees(t *testing.T) {
	sc, err := newSchemaChecker(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range sc.doc["components"].(map[string]any)["schemas"].(map[string]any) {
		parts := asSlice(s.(map[string]any)["allOf"])
		types := map[string]string{}
		for _, part := range parts {
			flat, _ := sc.flatten(part.(map[string]any))
			props, _ := flat["properties"].(map[string]any)
			for p, ps := range props {
				r, _ := sc.resolve(ps.(map[string]any))
				typ := fmt.Sprint(r["type"])
				if prev, ok := types[p]; ok && prev != typ {
					t.Errorf("%s: allOf parts declare %q as %s and as %s", name, p, prev, typ)
				}
				types[p] = typ
			}
		}
	}
}
