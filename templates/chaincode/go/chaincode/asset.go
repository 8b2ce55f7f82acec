// Package chaincode holds the {{name}} contract: a small key-value asset store.
package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Asset is what the contract stores under its ID. Field order is fixed, so every peer writes the same bytes.
type Asset struct {
	DocType string `json:"docType"`
	ID      string `json:"id"`
	Owner   string `json:"owner"`
	Value   string `json:"value"`
}

// AssetContract provides create/read/update/delete and queries over assets.
type AssetContract struct {
	contractapi.Contract
}

// CreateAsset stores a new asset; it fails if the ID exists.
func (c *AssetContract) CreateAsset(ctx contractapi.TransactionContextInterface, id, value, owner string) (*Asset, error) {
	exists, err := c.AssetExists(ctx, id)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, fmt.Errorf("asset %s already exists", id)
	}
	return put(ctx, &Asset{DocType: "asset", ID: id, Owner: owner, Value: value})
}

// ReadAsset returns the asset stored under id.
func (c *AssetContract) ReadAsset(ctx contractapi.TransactionContextInterface, id string) (*Asset, error) {
	data, err := ctx.GetStub().GetState(id)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("asset %s does not exist", id)
	}
	var a Asset
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateAsset replaces an existing asset.
func (c *AssetContract) UpdateAsset(ctx contractapi.TransactionContextInterface, id, value, owner string) (*Asset, error) {
	exists, err := c.AssetExists(ctx, id)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("asset %s does not exist", id)
	}
	return put(ctx, &Asset{DocType: "asset", ID: id, Owner: owner, Value: value})
}

// DeleteAsset removes an asset.
func (c *AssetContract) DeleteAsset(ctx contractapi.TransactionContextInterface, id string) error {
	exists, err := c.AssetExists(ctx, id)
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("asset %s does not exist", id)
	}
	return ctx.GetStub().DelState(id)
}

// AssetExists reports whether an asset is stored under id.
func (c *AssetContract) AssetExists(ctx contractapi.TransactionContextInterface, id string) (bool, error) {
	data, err := ctx.GetStub().GetState(id)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", id, err)
	}
	return len(data) > 0, nil
}

// GetAllAssets lists every asset by key range (LevelDB and CouchDB).
func (c *AssetContract) GetAllAssets(ctx contractapi.TransactionContextInterface) ([]*Asset, error) {
	it, err := ctx.GetStub().GetStateByRange("", "")
	if err != nil {
		return nil, err
	}
	return collect(it)
}

// QueryAssetsByOwner is a CouchDB rich query, served by META-INF/statedb/couchdb/indexes/indexOwner.json.
func (c *AssetContract) QueryAssetsByOwner(ctx contractapi.TransactionContextInterface, owner string) ([]*Asset, error) {
	q, err := json.Marshal(map[string]any{
		"selector":  map[string]string{"docType": "asset", "owner": owner},
		"use_index": []string{"_design/indexOwnerDoc", "indexOwner"},
	})
	if err != nil {
		return nil, err
	}
	it, err := ctx.GetStub().GetQueryResult(string(q))
	if err != nil {
		return nil, err
	}
	return collect(it)
}

func put(ctx contractapi.TransactionContextInterface, a *Asset) (*Asset, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return a, ctx.GetStub().PutState(a.ID, data)
}

func collect(it shim.StateQueryIteratorInterface) ([]*Asset, error) {
	defer it.Close()
	out := []*Asset{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		var a Asset
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return nil, fmt.Errorf("asset %s: %w", kv.Key, err)
		}
		out = append(out, &a)
	}
	return out, nil
}
