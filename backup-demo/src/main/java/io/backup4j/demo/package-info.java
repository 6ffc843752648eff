/** The end-to-end demo run by the README's first command. */
@NullMarked
package io.backup4j.demo;

import org.jspecify.annotations.NullMarked;
