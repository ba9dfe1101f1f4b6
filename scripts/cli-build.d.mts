/** Types of scripts/cli-build.mjs (for the tests). */
export declare const INPUT_DIRS: string[];
export declare const INPUT_FILES: string[];
export declare function inputsHash(root: string): string;
export declare function buildCli(root: string): boolean;
export declare function ensureBuilt(root: string, build?: (root: string) => boolean): 'fresh' | 'built' | 'failed';
