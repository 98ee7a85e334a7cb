package io.meshj.controller.cli;

import java.io.PrintWriter;
import java.util.List;

/** kubectl-style columns: left-aligned, three spaces apart, no trailing spaces. */
final class Table {

    private Table() {
    }

    static void print(PrintWriter out, List<String[]> rows) {
        print(out, rows, new boolean[rows.get(0).length]);
    }

    /** As {@link #print(PrintWriter, List)}, with the columns marked in {@code right} aligned right (numbers). */
    static void print(PrintWriter out, List<String[]> rows, boolean[] right) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder line = new StringBuilder();
        for (String[] row : rows) {
            line.setLength(0);
            for (int i = 0; i < columns; i++) {
                String pad = " ".repeat(widths[i] - row[i].length());
                if (right[i]) {
                    line.append(pad).append(row[i]);
                } else {
                    line.append(row[i]);
                    if (i < columns - 1) {
                        line.append(pad);
                    }
                }
                if (i < columns - 1) {
                    line.append("   ");
                }
            }
            // An empty last cell (edges' MSG when secured) must not leave the separator behind.
            out.println(line.toString().stripTrailing());
        }
    }
}
