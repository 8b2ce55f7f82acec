package chaincode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.hyperledger.fabric.contract.annotation.Transaction;
import org.hyperledger.fabric.shim.ChaincodeException;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AssetContractTest {
    private AssetContract contract;
    private MemoryStub mem;

    @BeforeEach
    void setUp() {
        contract = new AssetContract();
        mem = new MemoryStub();
    }

    private static Set<String> ids(final String json) {
        final JSONArray a = new JSONArray(json);
        final Set<String> out = new TreeSet<>();
        for (int i = 0; i < a.length(); i++) {
            out.add(a.getJSONObject(i).getString("id"));
        }
        return out;
    }

    @Test
    void createsAndReadsAnAsset() {
        contract.createAsset(mem.ctx, "a1", "blue", "alice");
        final JSONObject a = new JSONObject(contract.readAsset(mem.ctx, "a1"));
        assertEquals("asset", a.getString("docType"));
        assertEquals("a1", a.getString("id"));
        assertEquals("alice", a.getString("owner"));
        assertEquals("blue", a.getString("value"));
    }

    @Test
    void writesTheSameBytesForTheSameAsset() {
        final String returned = contract.createAsset(mem.ctx, "a1", "blue", "alice");
        assertEquals("{\"docType\":\"asset\",\"id\":\"a1\",\"owner\":\"alice\",\"value\":\"blue\"}", mem.get("a1"));
        assertEquals(mem.get("a1"), returned);
    }

    @Test
    void refusesToCreateAnAssetTwice() {
        contract.createAsset(mem.ctx, "a1", "blue", "alice");
        final ChaincodeException e =
                assertThrows(ChaincodeException.class, () -> contract.createAsset(mem.ctx, "a1", "red", "bob"));
        assertEquals("asset a1 already exists", e.getMessage());
    }

    @Test
    void updatesAndDeletes() {
        contract.createAsset(mem.ctx, "a1", "blue", "alice");
        contract.updateAsset(mem.ctx, "a1", "green", "bob");
        assertEquals("bob", new JSONObject(contract.readAsset(mem.ctx, "a1")).getString("owner"));
        contract.deleteAsset(mem.ctx, "a1");
        assertFalse(contract.assetExists(mem.ctx, "a1"));
        for (final Runnable r : new Runnable[] {
            () -> contract.readAsset(mem.ctx, "a1"),
            () -> contract.updateAsset(mem.ctx, "a1", "x", "y"),
            () -> contract.deleteAsset(mem.ctx, "a1")
        }) {
            assertEquals("asset a1 does not exist", assertThrows(ChaincodeException.class, r::run).getMessage());
        }
    }

    @Test
    void listsAllAssetsAndQueriesByOwner() {
        contract.createAsset(mem.ctx, "b", "2", "bob");
        contract.createAsset(mem.ctx, "a", "1", "alice");
        contract.createAsset(mem.ctx, "c", "3", "alice");
        assertEquals(Set.of("a", "b", "c"), ids(contract.getAllAssets(mem.ctx)));
        assertEquals(Set.of("a", "c"), ids(contract.queryAssetsByOwner(mem.ctx, "alice")));
        assertEquals(Set.of(), ids(contract.queryAssetsByOwner(mem.ctx, "nobody")));
    }

    @Test
    void storesValidJsonForAnyText() {
        contract.createAsset(mem.ctx, "q", "say \"hi\"\n\\ \u0001", "al\tice");
        final JSONObject a = new JSONObject(mem.get("q"));
        assertEquals("say \"hi\"\n\\ \u0001", a.getString("value"));
        assertEquals("al\tice", a.getString("owner"));
    }

    @Test
    void transactionNamesMatchTheOtherScaffolds() {
        final Set<String> names = Arrays.stream(AssetContract.class.getMethods())
                .filter(m -> m.isAnnotationPresent(Transaction.class))
                .map(m -> m.getAnnotation(Transaction.class).name())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(
                new TreeSet<>(Set.of(
                        "AssetExists",
                        "CreateAsset",
                        "DeleteAsset",
                        "GetAllAssets",
                        "QueryAssetsByOwner",
                        "ReadAsset",
                        "UpdateAsset")),
                names);
    }
}
