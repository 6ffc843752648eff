/** The {@code backup4j} command-line tool. The only module that calls {@code System.exit}. */
@NullMarked
package io.backup4j.cli;

import org.jspecify.annotations.NullMarked;
