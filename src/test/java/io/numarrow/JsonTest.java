package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void readsEveryKindOfValue() {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("shape", List.of(2L, 3L));
        expected.put("names", List.of("a\"b", "c\\d", "é\n"));
        expected.put("x", -1.5e3);
        expected.put("big", 1e30);
        expected.put("flags", Arrays.asList(true, false, null));
        expected.put("nested", Map.of("empty", List.of(), "obj", Map.of()));
        Object parsed = Json.parse(" {\"shape\": [2, 3], \"names\":[\"a\\\"b\",\"c\\\\d\",\"\\u00e9\\n\"], \"x\": -1.5E3, "
                + "\"big\": 1000000000000000000000000000000, \"flags\": [true,false,null],\n\"nested\": {\"empty\": [], \"obj\": {}}}\t");
        assertEquals(expected, parsed);
        assertEquals(new java.util.ArrayList<>(expected.keySet()), new java.util.ArrayList<>(((Map<?, ?>) parsed).keySet()), "key order");
        assertNull(Json.parse("null"));
        assertEquals(7L, Json.parse("7"));
    }

    @Test
    void quoteAndParseRoundTrip() {
        for (String s : List.of("", "plain", "tab\there", "quote\"back\\slash", "\u0001ctl", "ünï")) {
            assertEquals(s, Json.parse(Json.quote(s)), s);
        }
    }

    @Test
    void saysWhereItIsNotJson() {
        for (String bad : List.of("", "not json", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"open", "{} x", "tru", "-",
                "1.2.3", "\"\\q\"", "{a:1}", "\"\\u12\"")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("not JSON: ") && e.getMessage().contains(" at character "), e.getMessage());
        }
    }
}
