package chaincode;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import org.hyperledger.fabric.contract.Context;
import org.hyperledger.fabric.shim.ChaincodeStub;
import org.hyperledger.fabric.shim.ledger.KeyValue;
import org.hyperledger.fabric.shim.ledger.QueryResultsIterator;
import org.json.JSONObject;

/**
 * An in-memory world state with the stub calls the contract uses, for unit tests without a peer. Any other stub
 * call returns Mockito's default (null), which shows up in the test.
 */
final class MemoryStub {
    final TreeMap<String, byte[]> state = new TreeMap<>();
    final ChaincodeStub stub = mock(ChaincodeStub.class);
    final Context ctx = mock(Context.class);

    MemoryStub() {
        when(ctx.getStub()).thenReturn(stub);
        when(stub.getState(anyString())).thenAnswer(i -> state.getOrDefault(i.getArgument(0), new byte[0]));
        doAnswer(i -> state.put(i.getArgument(0), i.getArgument(1))).when(stub).putState(anyString(), any());
        doAnswer(i -> state.put(i.getArgument(0), ((String) i.getArgument(1)).getBytes(StandardCharsets.UTF_8)))
                .when(stub)
                .putStringState(anyString(), anyString());
        doAnswer(i -> state.remove(i.<String>getArgument(0))).when(stub).delState(anyString());
        when(stub.getStateByRange(anyString(), anyString())).thenAnswer(i -> {
            final String start = i.getArgument(0);
            final String end = i.getArgument(1);
            return iterator((k, doc) -> k.compareTo(start) >= 0 && (end.isEmpty() || k.compareTo(end) < 0));
        });
        when(stub.getQueryResult(anyString())).thenAnswer(i -> {
            final JSONObject selector = new JSONObject((String) i.getArgument(0)).getJSONObject("selector");
            return iterator((k, doc) -> selector.keySet().stream()
                    .allMatch(f -> doc.has(f) && doc.get(f).equals(selector.get(f))));
        });
    }

    String get(final String key) {
        return new String(state.get(key), StandardCharsets.UTF_8);
    }

    private QueryResultsIterator<KeyValue> iterator(final BiPredicate<String, JSONObject> keep) {
        final List<KeyValue> hits = state.entrySet().stream()
                .filter(e -> keep.test(e.getKey(), new JSONObject(new String(e.getValue(), StandardCharsets.UTF_8))))
                .map(MemoryStub::keyValue)
                .collect(Collectors.toList());
        return new QueryResultsIterator<>() {
            @Override
            public Iterator<KeyValue> iterator() {
                return hits.iterator();
            }

            @Override
            public void close() {}
        };
    }

    private static KeyValue keyValue(final Map.Entry<String, byte[]> e) {
        return new KeyValue() {
            @Override
            public String getKey() {
                return e.getKey();
            }

            @Override
            public byte[] getValue() {
                return e.getValue();
            }

            @Override
            public String getStringValue() {
                return new String(e.getValue(), StandardCharsets.UTF_8);
            }
        };
    }
}
