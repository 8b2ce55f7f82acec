// Command ccaas is a stand-in for Fabric's chaincode-as-a-service external
// builder, written for this test bed because the Go module proxy reachable
// here does not serve github.com/hyperledger/fabric/ccaas_builder. It follows
// Fabric's external builder contract and the behaviour recorded in
// shared/FABRIC-NOTES.md. One binary serves all three steps; bed.sh links it
// as bin/detect, bin/build and bin/release, and the step is chosen by the name
// it was started under (or by a first argument detect|build|release).
//
//	detect  SOURCE_DIR METADATA_DIR          exit 0 if metadata.json type is "ccaas"
//	build   SOURCE_DIR METADATA_DIR BUILD_DIR  fill connection.json templates, copy META-INF
//	release BUILD_DIR RELEASE_DIR              place chaincode/server/connection.json and statedb
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// connection is connection.json as the peer reads it from the release dir.
// dial_timeout is deliberately not omitempty: like the real builder, a
// missing value is written as "" (which the peer then refuses).
type connection struct {
	Address            string `json:"address"`
	DialTimeout        string `json:"dial_timeout"`
	TLSRequired        bool   `json:"tls_required"`
	ClientAuthRequired bool   `json:"client_auth_required"`
	ClientKey          string `json:"client_key"`
	ClientCert         string `json:"client_cert"`
	RootCert           string `json:"root_cert"`
}

const configEnv = "CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"

func main() {
	step := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if step != "detect" && step != "build" && step != "release" && len(args) > 0 {
		step, args = args[0], args[1:]
	}
	var err error
	switch step {
	case "detect":
		err = detect(args)
	case "build":
		err = build(args)
	case "release":
		err = release(args)
	default:
		err = fmt.Errorf("unknown step %q (want detect, build or release)", step)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ccaas %s: %v\n", step, err)
		os.Exit(1)
	}
}

func detect(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: detect SOURCE_DIR METADATA_DIR")
	}
	raw, err := os.ReadFile(filepath.Join(args[1], "metadata.json"))
	if err != nil {
		return err
	}
	var md struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		return fmt.Errorf("metadata.json: %w", err)
	}
	if !strings.EqualFold(md.Type, "ccaas") {
		return fmt.Errorf("chaincode type %q is not ccaas", md.Type)
	}
	return nil
}

func build(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: build SOURCE_DIR METADATA_DIR BUILD_DIR")
	}
	src, out := args[0], args[2]
	raw, err := os.ReadFile(filepath.Join(src, "connection.json"))
	if err != nil {
		return err
	}
	var conn connection
	if err := json.Unmarshal(raw, &conn); err != nil {
		return fmt.Errorf("connection.json: %w", err)
	}
	if cfg := os.Getenv(configEnv); cfg != "" {
		var values map[string]any
		if err := json.Unmarshal([]byte(cfg), &values); err != nil {
			return fmt.Errorf("%s: %w", configEnv, err)
		}
		for name, field := range map[string]*string{
			"address": &conn.Address, "dial_timeout": &conn.DialTimeout,
			"client_key": &conn.ClientKey, "client_cert": &conn.ClientCert, "root_cert": &conn.RootCert,
		} {
			filled, err := fill(name, *field, values)
			if err != nil {
				return err
			}
			*field = filled
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	outJSON, err := json.Marshal(conn)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "connection.json"), outJSON, 0o644); err != nil {
		return err
	}
	return copyTreeIfExists(filepath.Join(src, "META-INF"), filepath.Join(out, "META-INF"))
}

func fill(name, text string, values map[string]any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("connection.json %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, values); err != nil {
		return "", fmt.Errorf("connection.json %s: %w", name, err)
	}
	return b.String(), nil
}

func release(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: release BUILD_DIR RELEASE_DIR")
	}
	build, rel := args[0], args[1]
	raw, err := os.ReadFile(filepath.Join(build, "connection.json"))
	if err != nil {
		return err
	}
	dir := filepath.Join(rel, "chaincode", "server")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "connection.json"), raw, 0o644); err != nil {
		return err
	}
	return copyTreeIfExists(filepath.Join(build, "META-INF", "statedb"), filepath.Join(rel, "statedb"))
}

func copyTreeIfExists(from, to string) error {
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		outF, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(outF, in); err != nil {
			outF.Close()
			return err
		}
		return outF.Close()
	})
}
