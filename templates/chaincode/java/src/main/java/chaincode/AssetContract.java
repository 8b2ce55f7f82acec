package chaincode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.hyperledger.fabric.contract.Context;
import org.hyperledger.fabric.contract.ContractInterface;
import org.hyperledger.fabric.contract.annotation.Contact;
import org.hyperledger.fabric.contract.annotation.Contract;
import org.hyperledger.fabric.contract.annotation.Default;
import org.hyperledger.fabric.contract.annotation.Info;
import org.hyperledger.fabric.contract.annotation.Transaction;
import org.hyperledger.fabric.shim.ChaincodeException;
import org.hyperledger.fabric.shim.ledger.KeyValue;
import org.hyperledger.fabric.shim.ledger.QueryResultsIterator;

/**
 * The {{name}} contract: a small key-value asset store. Transaction names are the same as in the other fabk8s
 * scaffolds (CreateAsset, ReadAsset, …), so clients do not care which language serves them.
 */
@Contract(
        name = "AssetContract",
        info = @Info(
                title = "AssetContract",
                description = "A small key-value asset store",
                version = "{{version}}",
                contact = @Contact(name = "{{name}}")))
@Default
public final class AssetContract implements ContractInterface {

    /** The stored form of an asset: keys in sorted order, so every peer writes the same bytes. */
    static String assetJson(final String id, final String value, final String owner) {
        return "{\"docType\":\"asset\",\"id\":" + quote(id) + ",\"owner\":" + quote(owner) + ",\"value\":"
                + quote(value) + "}";
    }

    /** Creates an asset; fails if the ID exists. Returns the stored asset (JSON). */
    @Transaction(name = "CreateAsset", intent = Transaction.TYPE.SUBMIT)
    public String createAsset(final Context ctx, final String id, final String value, final String owner) {
        if (assetExists(ctx, id)) {
            throw new ChaincodeException("asset " + id + " already exists");
        }
        return put(ctx, id, value, owner);
    }

    /** The asset stored under id (JSON). */
    @Transaction(name = "ReadAsset", intent = Transaction.TYPE.EVALUATE)
    public String readAsset(final Context ctx, final String id) {
        final byte[] data = ctx.getStub().getState(id);
        if (data == null || data.length == 0) {
            throw new ChaincodeException("asset " + id + " does not exist");
        }
        return new String(data, StandardCharsets.UTF_8);
    }

    /** Replaces an existing asset. Returns the stored asset (JSON). */
    @Transaction(name = "UpdateAsset", intent = Transaction.TYPE.SUBMIT)
    public String updateAsset(final Context ctx, final String id, final String value, final String owner) {
        if (!assetExists(ctx, id)) {
            throw new ChaincodeException("asset " + id + " does not exist");
        }
        return put(ctx, id, value, owner);
    }

    /** Removes an asset. */
    @Transaction(name = "DeleteAsset", intent = Transaction.TYPE.SUBMIT)
    public void deleteAsset(final Context ctx, final String id) {
        if (!assetExists(ctx, id)) {
            throw new ChaincodeException("asset " + id + " does not exist");
        }
        ctx.getStub().delState(id);
    }

    /** Whether an asset is stored under id. */
    @Transaction(name = "AssetExists", intent = Transaction.TYPE.EVALUATE)
    public boolean assetExists(final Context ctx, final String id) {
        final byte[] data = ctx.getStub().getState(id);
        return data != null && data.length > 0;
    }

    /** Every asset, by key range (LevelDB and CouchDB): a JSON array. */
    @Transaction(name = "GetAllAssets", intent = Transaction.TYPE.EVALUATE)
    public String getAllAssets(final Context ctx) {
        return collect(ctx.getStub().getStateByRange("", ""));
    }

    /** Assets of one owner: a CouchDB rich query, served by META-INF/statedb/couchdb/indexes/indexOwner.json. */
    @Transaction(name = "QueryAssetsByOwner", intent = Transaction.TYPE.EVALUATE)
    public String queryAssetsByOwner(final Context ctx, final String owner) {
        final String query = "{\"selector\":{\"docType\":\"asset\",\"owner\":" + quote(owner)
                + "},\"use_index\":[\"_design/indexOwnerDoc\",\"indexOwner\"]}";
        return collect(ctx.getStub().getQueryResult(query));
    }

    private static String put(final Context ctx, final String id, final String value, final String owner) {
        final String json = assetJson(id, value, owner);
        ctx.getStub().putStringState(id, json);
        return json;
    }

    private static String collect(final QueryResultsIterator<KeyValue> results) {
        final List<String> docs = new ArrayList<>();
        try (results) {
            for (final KeyValue kv : results) {
                docs.add(kv.getStringValue());
            }
        }
        return "[" + String.join(",", docs) + "]";
    }

    /** A JSON string literal. */
    static String quote(final String s) {
        final StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (final char c : s.toCharArray()) {
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
