package chaincode

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
)

// memStub is an in-memory world state with the stub calls the contract uses; the embedded interface is nil,
// so any other call panics and shows up in the test.
type memStub struct {
	shim.ChaincodeStubInterface
	state map[string][]byte
}

func (s *memStub) GetState(k string) ([]byte, error) { return s.state[k], nil }
func (s *memStub) PutState(k string, v []byte) error { s.state[k] = v; return nil }
func (s *memStub) DelState(k string) error           { delete(s.state, k); return nil }

func (s *memStub) GetStateByRange(start, end string) (shim.StateQueryIteratorInterface, error) {
	return s.iter(func(k string, _ map[string]any) bool { return k >= start && (end == "" || k < end) }), nil
}

func (s *memStub) GetQueryResult(q string) (shim.StateQueryIteratorInterface, error) {
	var query struct {
		Selector map[string]any `json:"selector"`
	}
	if err := json.Unmarshal([]byte(q), &query); err != nil {
		return nil, err
	}
	return s.iter(func(_ string, doc map[string]any) bool {
		for k, want := range query.Selector {
			if doc[k] != want {
				return false
			}
		}
		return true
	}), nil
}

func (s *memStub) iter(keep func(string, map[string]any) bool) *memIter {
	keys := make([]string, 0, len(s.state))
	for k := range s.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	it := &memIter{}
	for _, k := range keys {
		var doc map[string]any
		_ = json.Unmarshal(s.state[k], &doc)
		if keep(k, doc) {
			it.kvs = append(it.kvs, &queryresult.KV{Key: k, Value: s.state[k]})
		}
	}
	return it
}

type memIter struct {
	kvs    []*queryresult.KV
	closed bool
}

func (it *memIter) HasNext() bool { return len(it.kvs) > 0 }
func (it *memIter) Close() error  { it.closed = true; return nil }
func (it *memIter) Next() (*queryresult.KV, error) {
	kv := it.kvs[0]
	it.kvs = it.kvs[1:]
	return kv, nil
}

func newCtx() (*contractapi.TransactionContext, *memStub) {
	stub := &memStub{state: map[string][]byte{}}
	ctx := &contractapi.TransactionContext{}
	ctx.SetStub(stub)
	return ctx, stub
}

func TestCreateAndRead(t *testing.T) {
	ctx, stub := newCtx()
	c := &AssetContract{}
	if _, err := c.CreateAsset(ctx, "a1", "blue", "alice"); err != nil {
		t.Fatal(err)
	}
	a, err := c.ReadAsset(ctx, "a1")
	if err != nil || a.Owner != "alice" || a.Value != "blue" {
		t.Fatalf("read: %+v %v", a, err)
	}
	if got := string(stub.state["a1"]); got != `{"docType":"asset","id":"a1","owner":"alice","value":"blue"}` {
		t.Fatalf("stored bytes: %s", got)
	}
	if _, err := c.CreateAsset(ctx, "a1", "red", "bob"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second create: %v", err)
	}
}

func TestUpdateDelete(t *testing.T) {
	ctx, _ := newCtx()
	c := &AssetContract{}
	if _, err := c.UpdateAsset(ctx, "x", "v", "o"); err == nil {
		t.Fatal("update of a missing asset succeeded")
	}
	_, _ = c.CreateAsset(ctx, "a1", "blue", "alice")
	if _, err := c.UpdateAsset(ctx, "a1", "green", "bob"); err != nil {
		t.Fatal(err)
	}
	if a, _ := c.ReadAsset(ctx, "a1"); a.Owner != "bob" {
		t.Fatalf("owner after update: %s", a.Owner)
	}
	if err := c.DeleteAsset(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.AssetExists(ctx, "a1"); ok {
		t.Fatal("asset still exists after delete")
	}
	if err := c.DeleteAsset(ctx, "a1"); err == nil {
		t.Fatal("second delete succeeded")
	}
}

func TestQueries(t *testing.T) {
	ctx, _ := newCtx()
	c := &AssetContract{}
	_, _ = c.CreateAsset(ctx, "b", "2", "bob")
	_, _ = c.CreateAsset(ctx, "a", "1", "alice")
	_, _ = c.CreateAsset(ctx, "c", "3", "alice")
	all, err := c.GetAllAssets(ctx)
	if err != nil || len(all) != 3 || all[0].ID != "a" || all[2].ID != "c" {
		t.Fatalf("all: %+v %v", all, err)
	}
	mine, err := c.QueryAssetsByOwner(ctx, "alice")
	if err != nil || len(mine) != 2 || mine[0].ID != "a" || mine[1].ID != "c" {
		t.Fatalf("by owner: %+v %v", mine, err)
	}
}
