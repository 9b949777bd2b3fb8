/**
 * The console's whole UI toolkit: build elements from a tag, properties and
 * children. Text always goes in as text nodes, never as HTML, so nothing an
 * API returns can become markup. No inline styles: classes only, so the
 * page's Content-Security-Policy can refuse every inline style.
 */
type Child = Node | string | number | null | undefined | false | Child[];

type Props<K extends keyof HTMLElementTagNameMap> = Partial<Omit<HTMLElementTagNameMap[K], 'style' | 'children'>> & {
  class?: string;
  /** Attributes set as such (aria-*, data-*, for, …). */
  attrs?: Record<string, string | boolean>;
  on?: Partial<{ [E in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[E]) => void }>;
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: NoInfer<Props<K>> | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    const { class: className, attrs, on, ...rest } = props;
    if (className) el.className = className;
    Object.assign(el, rest);
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (value === false) continue;
      el.setAttribute(name, value === true ? '' : value);
    }
    for (const [type, listener] of Object.entries(on ?? {})) el.addEventListener(type, listener as EventListener);
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled input: the label's text is the field's accessible name. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  return h('label', { class: input instanceof HTMLInputElement && input.type === 'checkbox' ? 'field check' : 'field' }, h('span', null, label), input, hint ? h('small', null, hint) : null);
}

export function input(props: Partial<HTMLInputElement> & { attrs?: Record<string, string | boolean> } = {}): HTMLInputElement {
  return h('input', { type: 'text', ...props });
}

export function select(options: Array<{ value: string; label: string }>, value?: string, props: Partial<HTMLSelectElement> = {}): HTMLSelectElement {
  const el = h('select', props, options.map((o) => h('option', { value: o.value }, o.label)));
  if (value !== undefined) el.value = value;
  return el;
}

export function button(label: string, onClick: (event: MouseEvent) => void, props: { class?: string; type?: 'button' | 'submit'; attrs?: Record<string, string> } = {}): HTMLButtonElement {
  return h('button', { type: props.type ?? 'button', class: props.class, attrs: props.attrs, on: { click: onClick } }, label);
}

export interface Column<T> {
  header: string;
  cell(row: T): Child;
}

/** A table in a container of its own that scrolls sideways, so a wide table never widens the page (phones). */
export function table<T>(caption: string, columns: Column<T>[], rows: T[], empty = 'Nothing to show.'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { attrs: { scope: 'col' } }, c.header)))),
      h('tbody', null, rows.map((row) => h('tr', null, columns.map((c) => h('td', null, c.cell(row)))))),
    ),
  );
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (classes for looks: the CSP refuses style attributes). */
export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Array<Node | string>): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return el;
}

/** A modal dialog holding `content`; resolves when it closes. */
export function openDialog(title: string, build: (close: () => void) => Child): HTMLDialogElement {
  const dialog = h('dialog', { attrs: { 'aria-label': title } });
  const close = () => dialog.close();
  append(dialog, [h('h2', null, title), build(close)]);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks before a destructive action, in the page (no window.confirm); `confirm` labels the button that goes ahead. */
export function confirmAction(question: string, action: string, confirm = action): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const dialog = openDialog(action, (close) => [
      h('p', null, question),
      h(
        'div',
        { class: 'actions' },
        button('Cancel', close),
        button(confirm, () => {
          answer = true;
          close();
        }, { class: 'danger' }),
      ),
    ]);
    dialog.addEventListener('close', () => resolve(answer));
  });
}

/** An area that announces its text to assistive technology: errors as alerts, the rest politely. */
export function messageArea(): { el: HTMLElement; error(text: string): void; info(text: string): void; clear(): void } {
  const el = h('div', { class: 'messages' });
  return {
    el,
    error(text) {
      replaceChildren(el, h('p', { class: 'error', attrs: { role: 'alert' } }, text));
    },
    info(text) {
      replaceChildren(el, h('p', { class: 'info', attrs: { role: 'status' } }, text));
    },
    clear() {
      el.replaceChildren();
    },
  };
}

/** "YYYY-MM-DD HH:mm:ss" in UTC, the administration API's date form. */
export function apiDate(time: Date = new Date()): string {
  return time.toISOString().slice(0, 19).replace('T', ' ');
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

/** A time the API gave (ISO 8601, "YYYY-MM-DD HH:mm:ss" in UTC, or milliseconds) as milliseconds; NaN when it is none. */
export function timeValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return NaN;
  const utc = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  return Date.parse(utc);
}

/** A time the API gave in the reader's locale; '' when there is none. */
export function formatWhen(value: unknown): string {
  const ms = timeValue(value);
  if (Number.isFinite(ms)) return formatTime(ms);
  return typeof value === 'string' ? value : '';
}

/** Shown where a value is absent. */
export const NONE = '—';
